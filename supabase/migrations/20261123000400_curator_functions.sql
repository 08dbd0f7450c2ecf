-- Functions the app, ops and the curator call. All run as the caller (security invoker) with a fixed search_path.
--
-- An email policy (p_policy) is the catalog's rule for one email type, serialised by the curator
-- (src/curator/policy.ts, emailPolicyJson) so no threshold is written twice:
--   { "critical": false,
--     "typeCap": { "max": 1, "windowHours": 72 } | null,
--     "nonCriticalCaps": [ { "max": 2, "windowHours": 24 }, { "max": 10, "windowHours": 168 } ],
--     "criticalEmailTypes": [ "crisis_alert" ] }

-- Records one reading event from the app and returns its id.
create function public.track_consumption_event(
  p_user_id uuid,
  p_story_id uuid,
  p_event_type text,
  p_duration_seconds integer default null,
  p_completion_pct numeric default null,
  p_metadata jsonb default '{}'::jsonb,
  p_occurred_at timestamptz default now()
) returns bigint
language sql
volatile
set search_path = public, pg_temp
as $$
  insert into public.consumption_metrics (user_id, story_id, event_type, duration_seconds, completion_pct, metadata, occurred_at)
  values (p_user_id, p_story_id, p_event_type, p_duration_seconds, p_completion_pct, coalesce(p_metadata, '{}'::jsonb), coalesce(p_occurred_at, now()))
  returning id;
$$;

-- Recomputes story_effectiveness for every story read since p_window_start, in one statement, and returns how
-- many stories were scored. Score = 0.6 x completion + 0.25 x replay + 0.15 x (1 - abandonment), each a rate in [0, 1].
create function public.calculate_story_effectiveness(
  p_window_start timestamptz default now() - interval '30 days'
) returns integer
language sql
volatile
set search_path = public, pg_temp
as $$
  with stats as (
    select story_id,
           count(distinct user_id)                              as readers,
           count(*)                                             as sample_size,
           count(*) filter (where event_type = 'started')       as started,
           count(*) filter (where event_type = 'completed')     as completed,
           count(*) filter (where event_type = 'replayed')      as replayed,
           count(*) filter (where event_type = 'abandoned')     as abandoned
    from public.consumption_metrics
    where occurred_at >= p_window_start
    group by story_id
  ), rates as (
    select story_id, readers, sample_size,
           least(1.0, completed::float8 / greatest(started, completed, 1)) as completion_rate,
           least(1.0, replayed::float8 / greatest(completed, 1))           as replay_rate,
           least(1.0, abandoned::float8 / greatest(started, abandoned, 1)) as abandon_rate
    from stats
  ), written as (
    insert into public.story_effectiveness as se
      (story_id, effectiveness_score, completion_rate, replay_rate, abandon_rate, unique_readers, sample_size, window_start, calculated_at)
    select story_id,
           round((0.6 * completion_rate + 0.25 * replay_rate + 0.15 * (1 - abandon_rate))::numeric, 4)::float8,
           completion_rate, replay_rate, abandon_rate, readers, sample_size, p_window_start, now()
    from rates
    on conflict (story_id) do update set
      effectiveness_score = excluded.effectiveness_score,
      completion_rate     = excluded.completion_rate,
      replay_rate         = excluded.replay_rate,
      abandon_rate        = excluded.abandon_rate,
      unique_readers      = excluded.unique_readers,
      sample_size         = excluded.sample_size,
      window_start        = excluded.window_start,
      calculated_at       = excluded.calculated_at
    returning 1
  )
  select count(*)::integer from written;
$$;

-- A user's credit in cents that is issued and neither applied to an invoice nor expired at p_at.
create function public.calculate_user_credits(
  p_user_id uuid,
  p_at timestamptz default now()
) returns bigint
language sql
stable
set search_path = public, pg_temp
as $$
  select coalesce(sum(amount), 0)::bigint
  from public.reward_ledger
  where user_id = p_user_id
    and status = 'pending'
    and amount > 0
    and (expires_at is null or expires_at > p_at);
$$;

-- The facts the frequency caps and the opt-out check are decided on, for many users in one call: whether the
-- user opted out of p_email_type, whether the user has no deliverable address (unknown user or suppressed
-- address), how many emails of this type fall in the type cap's window, and how many non-critical emails fall in
-- each window of p_policy.nonCriticalCaps (same order). Queued and sent emails count, failed ones do not; an
-- email belongs to the moment it was (last) queued, and the window is (p_at - hours, p_at]. Emails of p_exclude_execution_ids are left out, so an action already claimed
-- can be re-checked without counting itself. It compares nothing with a cap: the curator's decision does that
-- (src/curator/caps.ts), and should_send_email() below mirrors it for one user.
create function public.email_cap_facts(
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
  non_critical_counts integer[]
)
language sql
stable
set search_path = public, pg_temp
as $$
  with policy as (
    select coalesce((p_policy->>'critical')::boolean, false)                                   as critical,
           case when jsonb_typeof(p_policy->'typeCap') = 'object'
                then (p_policy->'typeCap'->>'windowHours')::float8 end                         as type_hours,
           array(select jsonb_array_elements_text(coalesce(p_policy->'criticalEmailTypes', '[]'::jsonb))) as critical_types
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
           (count(*) filter (where r.email_type <> all(p.critical_types)
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
         coalesce(wc.counts, array(select 0 from windows order by position)) as non_critical_counts
  from ids
  left join type_counts tc on tc.user_id = ids.user_id
  left join window_arrays wc on wc.user_id = ids.user_id;
$$;

-- Whether the caps of p_policy let one more email through, given the counts email_cap_facts() returned: a cap
-- holds while the emails already in its window are fewer than its max; critical email answers only to its own
-- type cap. The SQL twin of src/curator/caps.ts (frequencyCapsHold); a property test holds them to one answer.
create function public.email_caps_hold(
  p_type_count integer,
  p_non_critical_counts integer[],
  p_policy jsonb
) returns boolean
language sql
immutable
set search_path = public, pg_temp
as $$
  select (jsonb_typeof(p_policy->'typeCap') is distinct from 'object'
          or p_type_count < (p_policy->'typeCap'->>'max')::integer)
     and (coalesce((p_policy->>'critical')::boolean, false)
          or not exists (
            select 1
            from jsonb_array_elements(coalesce(p_policy->'nonCriticalCaps', '[]'::jsonb)) with ordinality as w(cap, position)
            where coalesce(p_non_critical_counts[w.position], 0) >= (w.cap->>'max')::integer));
$$;

-- Whether p_user_id may receive an email of p_email_type at p_at under p_policy: not opted out, a deliverable
-- address, and every cap holding. The batch path decides the same question in TypeScript over the same facts.
create function public.should_send_email(
  p_user_id uuid,
  p_email_type text,
  p_policy jsonb,
  p_at timestamptz default now()
) returns boolean
language sql
stable
set search_path = public, pg_temp
as $$
  select not f.opted_out
     and not f.suppressed
     and public.email_caps_hold(f.type_count, f.non_critical_counts, p_policy)
  from public.email_cap_facts(array[p_user_id], p_email_type, p_policy, p_at) f;
$$;

-- Data retention: moves up to p_batch_size rows of each of email_delivery_log and pipeline_executions created
-- before p_before into their archive tables, oldest first, and returns how many of each moved. Rows of a user
-- under an active legal hold stay; an execution still referenced by a live email row waits for that row.
-- Call it until both counts are zero. SKIP LOCKED lets two runs share the work without blocking.
create function public.archive_expired_records(
  p_before timestamptz,
  p_batch_size integer
) returns table (executions_archived integer, emails_archived integer)
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_emails integer;
  v_executions integer;
begin
  if p_before is null then
    raise exception 'archive_expired_records: p_before is required';
  end if;
  if p_batch_size is null or p_batch_size < 1 then
    raise exception 'archive_expired_records: p_batch_size must be a positive integer, got %', p_batch_size;
  end if;

  with doomed as (
    select l.id
    from public.email_delivery_log l
    where l.created_at < p_before
      and not exists (select 1 from public.legal_holds h where h.user_id = l.user_id and h.released_at is null)
    order by l.created_at
    limit p_batch_size
    for update skip locked
  ), moved as (
    delete from public.email_delivery_log l using doomed where l.id = doomed.id
    returning l.*
  )
  insert into public.email_delivery_log_archive (
    id, execution_id, user_id, email_type, template_id, status, provider_message_id, attempts, error,
    queued_at, sent_at, last_event_at, created_at, updated_at)
  select id, execution_id, user_id, email_type, template_id, status, provider_message_id, attempts, error,
         queued_at, sent_at, last_event_at, created_at, updated_at
  from moved;
  get diagnostics v_emails = row_count;

  with doomed as (
    select e.id
    from public.pipeline_executions e
    where e.created_at < p_before
      and (e.user_id is null
           or not exists (select 1 from public.legal_holds h where h.user_id = e.user_id and h.released_at is null))
      and not exists (select 1 from public.email_delivery_log l where l.execution_id = e.id)
    order by e.created_at
    limit p_batch_size
    for update skip locked
  ), moved as (
    delete from public.pipeline_executions e using doomed where e.id = doomed.id
    returning e.*
  )
  insert into public.pipeline_executions_archive (
    id, run_id, pipeline_type, pipeline_name, subject_key, period_key, user_id, status, vetoed, veto_reason,
    confidence_score, signal_count, trigger_data, attempts, error, started_at, completed_at, created_at, updated_at)
  select id, run_id, pipeline_type, pipeline_name, subject_key, period_key, user_id, status, vetoed, veto_reason,
         confidence_score, signal_count, trigger_data, attempts, error, started_at, completed_at, created_at, updated_at
  from moved;
  get diagnostics v_executions = row_count;

  return query select v_executions, v_emails;
end;
$$;
