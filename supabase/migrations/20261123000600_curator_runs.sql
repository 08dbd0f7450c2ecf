-- The curator's round trips. Each takes and returns jsonb so the Postgres store (`select fn(...)`) and the
-- Supabase store (`rpc('fn', args)`) are one implementation over two transports (src/store/). Every timestamp
-- written comes from p_now, the curator's clock, never from now(): a replay, a test or the local simulation
-- decides "the last 24 hours" by the same clock it writes with.

-- Takes the run of (job, period). A new run is created and leased. A run already leased and alive is left alone
-- (a duplicate delivery of the same firing), and so is a finished run when the trigger is the schedule again.
-- A stuck run (lease expired) is resumed from its cursor by the schedule's redelivery; a replay takes a finished
-- or stuck run over and walks the period again from the start (what succeeded is skipped). Before that, every
-- run of this job whose lease ran out is marked stuck and its pending actions unknown: whether their email left
-- cannot be known, so it is not sent again (credits are retried with their idempotency key by the next run).
create function public.curator_acquire_run(
  p_job_type text,
  p_period_key text,
  p_trigger text,
  p_owner text,
  p_lease_seconds integer,
  p_now timestamptz,
  p_event_id text default null,
  p_scheduled_for timestamptz default null
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_run public.pipeline_runs;
  v_resume boolean;
begin
  with stuck as (
    update public.pipeline_runs
    set status = 'stuck', updated_at = p_now, error = coalesce(error, 'lease expired while running')
    where job_type = p_job_type and status = 'running' and lease_expires_at < p_now
    returning id
  )
  update public.pipeline_executions e
  set status = 'unknown', updated_at = p_now,
      error = coalesce(e.error, 'the run stopped before this outcome was recorded')
  from stuck
  where e.run_id = stuck.id and e.status = 'pending';

  insert into public.pipeline_runs
    (job_type, period_key, trigger, status, event_id, scheduled_for, lease_owner, lease_expires_at, started_at, updated_at)
  values
    (p_job_type, p_period_key, p_trigger, 'running', p_event_id, p_scheduled_for, p_owner,
     p_now + make_interval(secs => p_lease_seconds), p_now, p_now)
  on conflict on constraint pipeline_runs_once do nothing
  returning * into v_run;
  if found then
    return jsonb_build_object('acquired', true, 'resumed', false, 'run', to_jsonb(v_run));
  end if;

  select * into v_run from public.pipeline_runs
  where job_type = p_job_type and period_key = p_period_key
  for update;

  -- A run handed on to its continuation (lease_owner 'continuation') is taken over at once; any other running
  -- run here holds a live lease.
  if v_run.status = 'running' and v_run.lease_owner is distinct from 'continuation' then
    return jsonb_build_object('acquired', false, 'reason', 'in_progress', 'run', to_jsonb(v_run));
  end if;
  -- The same firing delivered again (EventBridge delivers at least once), or the same replay event again.
  if v_run.status in ('succeeded', 'failed')
     and (p_trigger = 'schedule' or (p_event_id is not null and v_run.event_id = p_event_id)) then
    return jsonb_build_object('acquired', false, 'reason', 'completed', 'run', to_jsonb(v_run));
  end if;

  v_resume := (v_run.status = 'running' and v_run.lease_owner = 'continuation')
              or (v_run.status = 'stuck' and p_trigger = 'schedule' and v_run.cursor is not null);
  update public.pipeline_runs
  set status = 'running',
      trigger = case when v_resume then v_run.trigger else p_trigger end,
      lease_owner = p_owner,
      lease_expires_at = p_now + make_interval(secs => p_lease_seconds),
      attempt = attempt + 1,
      event_id = coalesce(p_event_id, event_id),
      cursor = case when v_resume then cursor end,
      candidates = case when v_resume then candidates else 0 end,
      executed = case when v_resume then executed else 0 end,
      skipped = case when v_resume then skipped else 0 end,
      vetoed = case when v_resume then vetoed else 0 end,
      failed = case when v_resume then failed else 0 end,
      escalated = case when v_resume then escalated else 0 end,
      started_at = case when v_resume then started_at else p_now end,
      completed_at = null,
      error = null,
      updated_at = p_now
  where id = v_run.id
  returning * into v_run;
  return jsonb_build_object('acquired', true, 'resumed', v_resume, 'run', to_jsonb(v_run));
end;
$$;

-- Extends the lease, saves the cursor and adds a page's counts. Returns held = false when the lease is no
-- longer this owner's (another invocation took the run over): the caller stops acting.
create function public.curator_touch_run(
  p_run_id uuid,
  p_owner text,
  p_lease_seconds integer,
  p_now timestamptz,
  p_cursor jsonb,
  p_counts jsonb
) returns jsonb
language sql
volatile
set search_path = public, pg_temp
as $$
  with touched as (
    update public.pipeline_runs
    set lease_expires_at = p_now + make_interval(secs => p_lease_seconds),
        cursor = coalesce(p_cursor, cursor),
        candidates = candidates + coalesce((p_counts->>'candidates')::integer, 0),
        executed = executed + coalesce((p_counts->>'executed')::integer, 0),
        skipped = skipped + coalesce((p_counts->>'skipped')::integer, 0),
        vetoed = vetoed + coalesce((p_counts->>'vetoed')::integer, 0),
        failed = failed + coalesce((p_counts->>'failed')::integer, 0),
        escalated = escalated + coalesce((p_counts->>'escalated')::integer, 0),
        updated_at = p_now
    where id = p_run_id and lease_owner = p_owner and status = 'running'
    returning 1
  )
  select jsonb_build_object('held', exists (select 1 from touched));
$$;

-- Ends a run as succeeded or failed, with its last counts. Returns the run, or null when the lease was lost.
create function public.curator_finish_run(
  p_run_id uuid,
  p_owner text,
  p_status text,
  p_now timestamptz,
  p_counts jsonb,
  p_error text default null
) returns jsonb
language sql
volatile
set search_path = public, pg_temp
as $$
  with finished as (
    update public.pipeline_runs
    set status = p_status,
        lease_owner = null,
        lease_expires_at = null,
        candidates = candidates + coalesce((p_counts->>'candidates')::integer, 0),
        executed = executed + coalesce((p_counts->>'executed')::integer, 0),
        skipped = skipped + coalesce((p_counts->>'skipped')::integer, 0),
        vetoed = vetoed + coalesce((p_counts->>'vetoed')::integer, 0),
        failed = failed + coalesce((p_counts->>'failed')::integer, 0),
        escalated = escalated + coalesce((p_counts->>'escalated')::integer, 0),
        completed_at = p_now,
        updated_at = p_now,
        error = p_error
    where id = p_run_id and lease_owner = p_owner and status = 'running'
    returning *
  )
  select to_jsonb(finished) from finished;
$$;

-- The existing decision of each subject of a page, for one pipeline and period.
create function public.curator_existing_executions(
  p_job_type text,
  p_period_key text,
  p_subjects text[]
) returns table (subject_key text, id uuid, status text, veto_reason text)
language sql
stable
set search_path = public, pg_temp
as $$
  select e.subject_key, e.id, e.status, e.veto_reason
  from public.pipeline_executions e
  where e.pipeline_type = p_job_type and e.period_key = p_period_key and e.subject_key = any(p_subjects);
$$;

-- One page of digest or insights candidates in one round trip: active users after the keyset cursor (or the
-- given users), with their signal in [p_window_start, p_window_end) — signal_count events, confidence the share
-- of them that were engaged (completed, replayed, shared), the most-read story — their email facts and their
-- existing decision for the period.
create function public.curator_user_candidates(
  p_job_type text,
  p_email_type text,
  p_period_key text,
  p_window_start timestamptz,
  p_window_end timestamptz,
  p_after text,
  p_limit integer,
  p_subjects text[],
  p_policy jsonb,
  p_at timestamptz
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  with page as (
    select u.id, u.email, u.first_name
    from public.users u
    where u.is_active
      and (p_after is null or u.id > p_after::uuid)
      and (p_subjects is null or u.id = any(p_subjects::uuid[]))
    order by u.id
    limit p_limit
  ), signals as (
    select c.user_id,
           count(*)::integer as signal_count,
           round(count(*) filter (where c.event_type in ('completed', 'replayed', 'shared'))::numeric / count(*), 4)::float8 as confidence,
           mode() within group (order by c.story_id) as top_story_id
    from public.consumption_metrics c
    join page on page.id = c.user_id
    where c.occurred_at >= p_window_start and c.occurred_at < p_window_end
    group by c.user_id
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
             'type_count', f.type_count, 'non_critical_counts', to_jsonb(f.non_critical_counts)),
           'existing', case when x.id is null then null
                            else jsonb_build_object('id', x.id, 'status', x.status, 'veto_reason', x.veto_reason) end
         ) order by page.id), '[]'::jsonb)
  from page
  left join signals s on s.user_id = page.id
  left join public.stories st on st.id = s.top_story_id
  left join facts f on f.user_id = page.id
  left join existing x on x.subject_key = page.id::text;
$$;

-- One page of organisation health report candidates: every active admin of every organisation, keyed
-- `{organization_id}:{user_id}`, with the organisation's members, active members and reading events in the
-- window, the admin's email facts and the existing decision.
create function public.curator_org_admin_candidates(
  p_job_type text,
  p_email_type text,
  p_period_key text,
  p_window_start timestamptz,
  p_window_end timestamptz,
  p_after text,
  p_limit integer,
  p_subjects text[],
  p_policy jsonb,
  p_at timestamptz
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  with admins as (
    select m.organization_id::text || ':' || m.user_id::text as subject_key, m.organization_id, m.user_id
    from public.organization_members m
    join public.users u on u.id = m.user_id and u.is_active
    where m.role = 'admin'
  ), page as (
    select a.*, u.email, u.first_name, o.name as organization_name
    from admins a
    join public.users u on u.id = a.user_id
    join public.organizations o on o.id = a.organization_id
    where (p_after is null or a.subject_key > p_after)
      and (p_subjects is null or a.subject_key = any(p_subjects))
    order by a.subject_key
    limit p_limit
  ), org_stats as (
    select m.organization_id,
           count(distinct m.user_id)::integer as members,
           count(distinct c.user_id)::integer as active_members,
           count(c.id)::integer as reading_events
    from public.organization_members m
    left join public.consumption_metrics c
      on c.user_id = m.user_id and c.occurred_at >= p_window_start and c.occurred_at < p_window_end
    where m.organization_id in (select organization_id from page)
    group by m.organization_id
  ), facts as (
    select * from public.email_cap_facts(array(select distinct user_id from page), p_email_type, p_policy, p_at)
  ), existing as (
    select * from public.curator_existing_executions(p_job_type, p_period_key, array(select subject_key from page))
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'subject_key', page.subject_key,
           'user_id', page.user_id,
           'email', page.email,
           'first_name', page.first_name,
           'organization_id', page.organization_id,
           'organization_name', page.organization_name,
           'members', coalesce(os.members, 0),
           'active_members', coalesce(os.active_members, 0),
           'reading_events', coalesce(os.reading_events, 0),
           'facts', jsonb_build_object(
             'opted_out', f.opted_out, 'suppressed', f.suppressed,
             'type_count', f.type_count, 'non_critical_counts', to_jsonb(f.non_critical_counts)),
           'existing', case when x.id is null then null
                            else jsonb_build_object('id', x.id, 'status', x.status, 'veto_reason', x.veto_reason) end
         ) order by page.subject_key), '[]'::jsonb)
  from page
  left join org_stats os on os.organization_id = page.organization_id
  left join facts f on f.user_id = page.user_id
  left join existing x on x.subject_key = page.subject_key;
$$;

-- One page of referral reward candidates: converted referrals whose reward is not issued, with the referrer's
-- Stripe customer, the ledger row already written for the referral (retries reuse it and its idempotency key)
-- and the existing decision for the period.
create function public.curator_referral_candidates(
  p_job_type text,
  p_period_key text,
  p_after text,
  p_limit integer,
  p_subjects text[],
  p_at timestamptz
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  with page as (
    select r.id, r.referrer_id, u.stripe_customer_id
    from public.referral_tracking r
    join public.users u on u.id = r.referrer_id
    where r.status = 'converted' and r.reward_status <> 'issued' and r.converted_at <= p_at
      and (p_after is null or r.id > p_after::uuid)
      and (p_subjects is null or r.id = any(p_subjects::uuid[]))
    order by r.id
    limit p_limit
  ), existing as (
    select * from public.curator_existing_executions(p_job_type, p_period_key, array(select id::text from page))
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'subject_key', page.id::text,
           'user_id', page.referrer_id,
           'stripe_customer_id', page.stripe_customer_id,
           'ledger', case when l.id is null then null else jsonb_build_object(
             'id', l.id, 'status', l.status, 'amount', l.amount,
             'stripe_balance_transaction_id', l.stripe_balance_transaction_id) end,
           'existing', case when x.id is null then null
                            else jsonb_build_object('id', x.id, 'status', x.status, 'veto_reason', x.veto_reason) end
         ) order by page.id), '[]'::jsonb)
  from page
  left join public.reward_ledger l on l.source = 'referral' and l.reference_key = page.id::text
  left join existing x on x.subject_key = page.id::text;
$$;

-- One page of expiring credits: credits issued, not applied, whose expiry is at or before p_at, with the
-- owner's Stripe customer, the reversal already written for it and the existing decision.
create function public.curator_expiring_credit_candidates(
  p_job_type text,
  p_period_key text,
  p_after text,
  p_limit integer,
  p_subjects text[],
  p_at timestamptz
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  with page as (
    select l.id, l.user_id, l.amount, coalesce(l.stripe_customer_id, u.stripe_customer_id) as stripe_customer_id
    from public.reward_ledger l
    left join public.users u on u.id = l.user_id
    where l.status = 'pending' and l.amount > 0 and l.expires_at <= p_at
      and (p_after is null or l.id > p_after::uuid)
      and (p_subjects is null or l.id = any(p_subjects::uuid[]))
    order by l.id
    limit p_limit
  ), existing as (
    select * from public.curator_existing_executions(p_job_type, p_period_key, array(select id::text from page))
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'subject_key', page.id::text,
           'user_id', page.user_id,
           'amount', page.amount,
           'stripe_customer_id', page.stripe_customer_id,
           'ledger', case when r.id is null then null else jsonb_build_object(
             'id', r.id, 'status', r.status, 'amount', r.amount,
             'stripe_balance_transaction_id', r.stripe_balance_transaction_id) end,
           'existing', case when x.id is null then null
                            else jsonb_build_object('id', x.id, 'status', x.status, 'veto_reason', x.veto_reason) end
         ) order by page.id), '[]'::jsonb)
  from page
  left join public.reward_ledger r on r.source = 'expiry' and r.reference_key = page.id::text
  left join existing x on x.subject_key = page.id::text;
$$;

-- The one candidate of a realtime signal: the user (null when unknown), their email facts, the count of this
-- pipeline's alerts for the same child in the type cap's window when the cap is per child, and the existing
-- decision for the signal.
create function public.curator_signal_candidate(
  p_job_type text,
  p_email_type text,
  p_signal_id text,
  p_user_id uuid,
  p_child_id text,
  p_policy jsonb,
  p_at timestamptz
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  select jsonb_build_object(
    'user', (select jsonb_build_object('id', u.id, 'email', u.email, 'first_name', u.first_name, 'is_active', u.is_active)
             from public.users u where u.id = p_user_id),
    'facts', (select jsonb_build_object(
                'opted_out', f.opted_out, 'suppressed', f.suppressed,
                'type_count', f.type_count, 'non_critical_counts', to_jsonb(f.non_critical_counts))
              from public.email_cap_facts(array[p_user_id], p_email_type, p_policy, p_at) f),
    'child_type_count', case
      when p_child_id is null or jsonb_typeof(p_policy->'typeCap') is distinct from 'object' then null
      else (select count(*)::integer from public.pipeline_executions e
            where e.pipeline_type = p_job_type and e.user_id = p_user_id
              and e.trigger_data->>'child_id' = p_child_id
              and e.period_key <> p_signal_id
              and e.status in ('pending', 'succeeded', 'unknown')
              and e.started_at <= p_at
              and e.started_at > p_at - (p_policy->'typeCap'->>'windowHours')::float8 * interval '1 hour')
    end,
    'existing', (select jsonb_build_object('id', x.id, 'status', x.status, 'veto_reason', x.veto_reason)
                 from public.curator_existing_executions(p_job_type, p_signal_id, array[p_user_id::text]) x)
  );
$$;

-- Executions of a pipeline created in [p_from, p_to] that a replay re-evaluates: those vetoed for p_veto_reason,
-- or, without a reason, those that failed or whose outcome is unknown. Returned oldest first, one page at a time
-- after the keyset cursor (the execution id), with their period, subject and the trigger data of the decision.
create function public.curator_replay_targets(
  p_job_type text,
  p_veto_reason text,
  p_from timestamptz,
  p_to timestamptz,
  p_user_ids uuid[],
  p_after uuid,
  p_limit integer
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  with targets as (
    select e.id, e.period_key, e.subject_key, e.user_id, e.status, e.veto_reason, e.trigger_data,
           e.confidence_score, e.signal_count
    from public.pipeline_executions e
    where e.pipeline_type = p_job_type
      and e.created_at >= p_from and e.created_at <= p_to
      and (p_user_ids is null or e.user_id = any(p_user_ids))
      and (p_after is null or e.id > p_after)
      and case when p_veto_reason is null then e.status in ('failed', 'unknown')
               else e.vetoed and e.veto_reason = p_veto_reason end
    order by e.id
    limit p_limit
  )
  select coalesce(jsonb_agg(to_jsonb(targets) order by targets.id), '[]'::jsonb) from targets;
$$;

-- Cents of credit issued in the UTC day of p_at (failed credits excluded): the spend guard's count so far.
create function public.curator_credits_issued_on(p_at timestamptz)
returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  select jsonb_build_object('cents', coalesce(sum(amount), 0))
  from public.reward_ledger
  where amount > 0 and status <> 'failed' and source <> 'expiry'
    and created_at >= date_trunc('day', p_at at time zone 'UTC') at time zone 'UTC'
    and created_at < (date_trunc('day', p_at at time zone 'UTC') + interval '1 day') at time zone 'UTC';
$$;

revoke execute on all functions in schema public from public, anon, authenticated;
grant execute on all functions in schema public to service_role;

-- Hands a run on to its continuation: the invocation that held it stops at a page boundary, saves its cursor and
-- counts (curator_touch_run), and releases the lease to the owner 'continuation', which the next delivery takes over
-- at once. If the continuation never comes, the lease runs out after p_grace_seconds and the run is marked stuck.
create function public.curator_release_run(
  p_run_id uuid,
  p_owner text,
  p_grace_seconds integer,
  p_now timestamptz
) returns jsonb
language sql
volatile
set search_path = public, pg_temp
as $$
  with released as (
    update public.pipeline_runs
    set lease_owner = 'continuation', lease_expires_at = p_now + make_interval(secs => p_grace_seconds), updated_at = p_now
    where id = p_run_id and lease_owner = p_owner and status = 'running'
    returning 1
  )
  select jsonb_build_object('released', exists (select 1 from released));
$$;

revoke execute on all functions in schema public from public, anon, authenticated;
grant execute on all functions in schema public to service_role;
