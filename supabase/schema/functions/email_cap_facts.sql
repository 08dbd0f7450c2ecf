-- The facts the frequency caps and the opt-out check are decided on, for many users in one call: whether the
-- user opted out of p_email_type, whether the user has no deliverable address (unknown user or suppressed
-- address), how many emails of this type fall in the type cap's window, and how many of a family's non-critical
-- emails (every type but p_policy.uncappedEmailTypes: the critical ones and an organisation's reports) fall in each
-- window of p_policy.nonCriticalCaps (same order). Queued and sent emails count, failed ones do not; an
-- email belongs to the moment it was (last) queued, and the window is (p_at - hours, p_at]. Emails of p_exclude_execution_ids are left out, so an action already claimed
-- can be re-checked without counting itself. Where the family is comes with them (family_time_zones: its zone and
-- its own quiet hours as HH:MM; nulls when the app never said), for the quiet-hours check. It compares nothing with a cap: the curator's decision does that
-- (src/curator/caps.ts), and should_send_email() below mirrors it for one user.
create or replace function public.email_cap_facts(
  p_user_ids uuid[],
  p_email_type text,
  p_policy jsonb,
  p_at timestamptz,
  p_exclude_execution_ids uuid[] default '{}'
) returns table (
  user_id uuid,
  opted_out boolean,
  suppressed boolean,
  type_count integer,
  non_critical_counts integer[],
  time_zone text,
  quiet_start text,
  quiet_end text
)
language sql
stable
set search_path = public, pg_temp
as $$
  with policy as (
    select coalesce((p_policy->>'critical')::boolean, false)                                   as critical,
           case when jsonb_typeof(p_policy->'typeCap') = 'object'
                then (p_policy->'typeCap'->>'windowHours')::float8 end                         as type_hours,
           array(select jsonb_array_elements_text(coalesce(p_policy->'uncappedEmailTypes', '[]'::jsonb))) as uncapped_types
  ), windows as (
    select w.position, (w.cap->>'windowHours')::float8 as hours
    from jsonb_array_elements(coalesce(p_policy->'nonCriticalCaps', '[]'::jsonb)) with ordinality as w(cap, position)
  ), horizon as (
    select greatest(coalesce(p.type_hours, 0), coalesce((select max(hours) from windows), 0)) as hours
    from policy p
  ), ids as (
    select distinct unnest(p_user_ids) as user_id
  ), recent as (
    select l.user_id, l.email_type, l.queued_at as created_at
    from public.email_delivery_log l, horizon h
    where l.user_id = any(p_user_ids)
      and l.status <> 'failed'
      and l.queued_at <= p_at
      and l.queued_at > p_at - h.hours * interval '1 hour'
      and (l.execution_id is null or l.execution_id <> all(coalesce(p_exclude_execution_ids, '{}')))
  ), type_counts as (
    select r.user_id, count(*)::integer as n
    from recent r, policy p
    where r.email_type = p_email_type
      and p.type_hours is not null
      and r.created_at > p_at - p.type_hours * interval '1 hour'
    group by r.user_id
  ), window_counts as (
    select r.user_id, w.position,
           (count(*) filter (where r.email_type <> all(p.uncapped_types)
                               and r.created_at > p_at - w.hours * interval '1 hour'))::integer as n
    from recent r cross join windows w cross join policy p
    group by r.user_id, w.position
  ), window_arrays as (
    select wc.user_id, array_agg(wc.n order by wc.position) as counts
    from window_counts wc
    group by wc.user_id
  )
  select ids.user_id,
         exists (
           select 1 from public.email_preferences ep, policy p
           where ep.user_id = ids.user_id and not ep.enabled
             and (ep.email_type = p_email_type or (ep.email_type = 'all' and not p.critical))
         ) as opted_out,
         coalesce((
           select exists (select 1 from public.email_suppressions s where s.email = u.email)
           from public.users u where u.id = ids.user_id
         ), true) as suppressed,
         coalesce(tc.n, 0) as type_count,
         coalesce(wc.counts, array(select 0 from windows order by position)) as non_critical_counts,
         z.time_zone,
         to_char(z.quiet_start, 'HH24:MI') as quiet_start,
         to_char(z.quiet_end, 'HH24:MI') as quiet_end
  from ids
  left join type_counts tc on tc.user_id = ids.user_id
  left join window_arrays wc on wc.user_id = ids.user_id
  left join public.family_time_zones z on z.user_id = ids.user_id;
$$;
