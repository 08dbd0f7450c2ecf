-- One page of daily digest or weekly insights candidates in one round trip: active users after the keyset cursor
-- (and up to p_through, inclusive, when a shard walks its range), or the given users (a replay's), with their
-- signal in [p_window_start, p_window_end) — signal_count events, confidence the share of them that were engaged
-- (completed, replayed, shared), the most-read story — their email facts (email_cap_facts) and their existing
-- decision for the period.
create or replace function public.curator_digest_candidates(
  p_job_type text,
  p_email_type text,
  p_period_key text,
  p_window_start timestamptz,
  p_window_end timestamptz,
  p_after text,
  p_limit integer,
  p_subjects text[],
  p_policy jsonb,
  p_at timestamptz,
  p_through text default null
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  -- A SQL function's body is planned without its arguments' values, so each way in is written to stay an index
  -- path in that generic plan: the bounds as a range (`p_after is null or u.id > p_after` scanned every family
  -- before the cursor, on every page), and the given subjects (a replay's) as their own branch, looked up by
  -- key (`p_subjects is null or u.id = any(p_subjects)` compared every active family with every subject).
  with page as (
    (select u.id, u.email, u.first_name
     from public.users u
     where p_subjects is null
       and u.is_active
       and u.id > coalesce(p_after::uuid, '00000000-0000-0000-0000-000000000000')
       and u.id <= coalesce(p_through::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff')
     order by u.id
     limit p_limit)
    union all
    (select u.id, u.email, u.first_name
     from public.users u
     where u.id = any(p_subjects::uuid[])
       and u.is_active
       and u.id > coalesce(p_after::uuid, '00000000-0000-0000-0000-000000000000')
       and u.id <= coalesce(p_through::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff')
     order by u.id
     limit p_limit)
  ), facts as (
    select * from public.email_cap_facts(array(select id from page), p_email_type, p_policy, p_at)
  ), existing as (
    select * from public.curator_existing_executions(p_job_type, p_period_key, array(select id::text from page))
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'subject_key', page.id::text,
           'user_id', page.id,
           'email', page.email,
           'first_name', page.first_name,
           'signal_count', coalesce(s.signal_count, 0),
           'confidence', s.confidence,
           'top_story_title', st.title,
           'facts', jsonb_build_object(
             'opted_out', f.opted_out, 'suppressed', f.suppressed,
             'type_count', f.type_count, 'non_critical_counts', to_jsonb(f.non_critical_counts),
             'time_zone', f.time_zone, 'quiet_start', f.quiet_start, 'quiet_end', f.quiet_end),
           'existing', case when x.id is null then null
                            else jsonb_build_object('id', x.id, 'status', x.status, 'veto_reason', x.veto_reason) end
         ) order by page.id), '[]'::jsonb)
  from page
  -- Per family through the (user_id, occurred_at) index: the planner cannot size a page from a CTE, and a join
  -- to a grouped CTE it sized at one row became a nested loop over the whole page for every family.
  cross join lateral (
    select count(*)::integer as signal_count,
           round(count(*) filter (where c.event_type in ('completed', 'replayed', 'shared'))::numeric / nullif(count(*), 0), 4)::float8 as confidence,
           mode() within group (order by c.story_id) as top_story_id
    from public.consumption_metrics c
    where c.user_id = page.id and c.occurred_at >= p_window_start and c.occurred_at < p_window_end
  ) s
  left join public.stories st on st.id = s.top_story_id
  left join facts f on f.user_id = page.id
  left join existing x on x.subject_key = page.id::text;
$$;
