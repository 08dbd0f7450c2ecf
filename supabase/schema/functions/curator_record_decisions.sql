-- Writes one page of decisions in one transaction and claims the actions to take. Each row carries the status the
-- curator's core decided (`pending` to act, `vetoed`, `escalated`, `failed`): this function never decides an
-- escalation (src/curator/escalation.ts does), it records it. Vetoes are written final. Actions to take are
-- re-checked under locks, so two concurrent runs (or shards) cannot together pass a cap or the daily credit
-- ceiling: per-user advisory locks and the email caps again for non-critical email (rows of the same user in this
-- page count against each other); a per-day lock and the ledger's sum for credits. What passes is written `pending`
-- with its email row `queued` or its ledger row `pending` (the ledger id is Stripe's idempotency key), stamped with
-- p_batch, the page's request batch, which is recorded here too (pipeline_request_batches): from this statement on, a
-- claim may have reached its provider, so a crash leaves it unknown, never redone blind; what fails the re-check is `vetoed` (FREQUENCY_CAP,
-- USER_OPTED_OUT, BUDGET_EXCEEDED). An existing decision is overwritten only when it failed, when it was vetoed for
-- p_retake_veto_reason (a replay), with p_retake_unknown when its outcome is unknown (a credit, looked up by its
-- ledger id first; a crisis alert), and for a crisis alert still pending 30 seconds after its claim; a crisis alert
-- whose request may have gone only while SendGrid has no event of it and it has not had its one unconfirmed resend
-- (curator_may_resend). Returns what was claimed, what was written final, and the subjects left unchanged because
-- already decided, and `held`. Fenced: with p_lease ({ run_id, shard, owner, lease_seconds }) the lease is renewed
-- first (curator_touch_lease), and when it is no longer the caller's nothing is written and held = false: the caller
-- must not act. Without p_lease (a realtime signal, a dry run's nothing) it always writes.
--
-- Each execution keeps what its decision read (decision_facts, src/curator/decision-facts.ts) and points at the policy
-- it was decided under (p_policy_version { hash, policy }, stored once in decision_policies), so `ops what-if` can
-- make it again; where the caps re-checked here veto, the facts are this function's counts, which decided it.
--
-- p_rows: [{ subject_key, period_key, user_id, status, veto_reason, held_until, confidence_score, signal_count, facts,
--            trigger_data, error, template_id,
--            credit: { amount, source, reference_key, stripe_customer_id, expires_at, description } }]
create or replace function public.curator_record_decisions(
  p_run_id uuid,
  p_job_type text,
  p_pipeline_name text,
  p_email_type text,
  p_policy jsonb,
  p_credit_ceiling_cents bigint,
  p_retake_veto_reason text,
  p_retake_unknown boolean,
  p_now timestamptz,
  p_rows jsonb,
  p_batch uuid default null,
  p_policy_version jsonb default null,
  p_lease jsonb default null
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_critical boolean := coalesce((p_policy->>'critical')::boolean, false);
  v_recheck_caps boolean := p_email_type is not null and not v_critical;
  v_spent bigint := 0;
  v_result jsonb;
begin
  if jsonb_typeof(p_rows) is distinct from 'array' then
    raise exception 'curator_record_decisions: p_rows must be a JSON array';
  end if;

  if p_lease is not null and not public.curator_touch_lease(p_lease, p_now) then
    return jsonb_build_object('held', false, 'claimed', '[]'::jsonb, 'emails', '[]'::jsonb, 'ledger', '[]'::jsonb,
                              'vetoed', '[]'::jsonb, 'unchanged', '[]'::jsonb);
  end if;
  if p_batch is not null and exists (select 1 from jsonb_to_recordset(p_rows) as r(status text) where r.status = 'pending') then
    insert into public.pipeline_request_batches (id, run_id, created_at) values (p_batch, (p_lease->>'run_id')::uuid, p_now)
    on conflict (id) do nothing;
  end if;

  if p_policy_version is not null then
    insert into public.decision_policies (hash, pipeline_type, policy, first_used_at)
    values (p_policy_version->>'hash', p_job_type, p_policy_version->'policy', p_now)
    on conflict (hash) do nothing;
  end if;

  if v_recheck_caps then
    perform pg_advisory_xact_lock(hashtextextended('curator-user:' || x.user_id::text, 0))
    from (select distinct r.user_id
          from jsonb_to_recordset(p_rows) as r(user_id uuid, status text)
          where r.status = 'pending' and r.user_id is not null
          order by r.user_id) x;
  end if;
  if p_credit_ceiling_cents is not null then
    perform pg_advisory_xact_lock(hashtextextended('curator-credits:' || to_char(p_now at time zone 'UTC', 'YYYY-MM-DD'), 0));
    v_spent := (public.curator_credits_issued_on(p_now)->>'cents')::bigint;
  end if;

  with input as (
    select r.*, e.position
    from jsonb_array_elements(p_rows) with ordinality as e(value, position)
    cross join lateral jsonb_to_record(e.value) as r(
      subject_key text, period_key text, user_id uuid, status text, veto_reason text, held_until timestamptz,
      confidence_score float8, signal_count integer, facts jsonb, trigger_data jsonb, error text, template_id text,
      credit jsonb)
  ), facts as (
    select f.* from public.email_cap_facts(
      array(select distinct user_id from input where status = 'pending' and user_id is not null),
      p_email_type, p_policy, p_now) f
    where v_recheck_caps
  ), ranked as (
    select i.position,
           row_number() over (partition by i.user_id order by i.position) - 1 as earlier
    from input i
    where i.status = 'pending'
  ), ledger_now as (
    select i.position, l.status as ledger_status
    from input i
    join public.reward_ledger l on l.source = i.credit->>'source' and l.reference_key = i.credit->>'reference_key'
    where i.credit is not null
  ), new_money as (
    -- Credits that would add to today's spend: positive, and not already counted as issued.
    select i.position,
           sum((i.credit->>'amount')::bigint) over (order by i.position) as running
    from input i
    left join ledger_now ln on ln.position = i.position
    where i.status = 'pending' and i.credit is not null and (i.credit->>'amount')::bigint > 0
      and (ln.ledger_status is null or ln.ledger_status = 'failed')
  ), busy as (
    -- A credit whose ledger row another run's execution is paying right now, or has paid: this run leaves it to
    -- that one and records its own decision as skipped.
    select i.position
    from input i
    join public.reward_ledger l on l.source = i.credit->>'source' and l.reference_key = i.credit->>'reference_key'
    join public.pipeline_executions x on x.id = l.execution_id
    where i.status = 'pending' and i.credit is not null
      and l.status <> 'failed' and x.status in ('pending', 'succeeded')
      and not (x.pipeline_type = p_job_type and x.subject_key = i.subject_key and x.period_key = i.period_key)
  ), decided as (
    select i.*, exists (select 1 from busy b where b.position = i.position) as skip,
           case
             when i.status <> 'pending' then i.veto_reason
             when v_recheck_caps and not rc.passes
               then case when coalesce(f.opted_out, true) or coalesce(f.suppressed, true) then 'USER_OPTED_OUT' else 'FREQUENCY_CAP' end
             when p_credit_ceiling_cents is not null and nm.running is not null and v_spent + nm.running > p_credit_ceiling_cents
               then 'BUDGET_EXCEEDED'
           end as final_reason,
           -- Facts the re-check vetoed on replace the page's: they decided it. One that passes keeps the page's,
           -- which passed too (building JSON for every claim of a 100,000-family run is not free).
           case
             when f.user_id is null or rc.passes is null or rc.passes then i.facts
             else (coalesce(i.facts, '{}'::jsonb) - 'optedOut' - 'suppressed' - 'typeCount' - 'windowCounts')
                  || jsonb_build_object('windowCounts', to_jsonb(rc.counts))
                  || case when jsonb_typeof(p_policy->'typeCap') = 'object'
                          then jsonb_build_object('typeCount', f.type_count + rk.earlier::integer) else '{}'::jsonb end
                  || case when f.opted_out then '{"optedOut": true}'::jsonb else '{}'::jsonb end
                  || case when f.suppressed then '{"suppressed": true}'::jsonb else '{}'::jsonb end
           end as recorded_facts
    from input i
    left join facts f on f.user_id = i.user_id
    left join ranked rk on rk.position = i.position
    left join lateral (
      select c.counts,
             coalesce(f.opted_out, true) = false and coalesce(f.suppressed, true) = false
               and public.email_caps_hold(f.type_count + rk.earlier::integer, c.counts, p_policy) as passes
      from (select array(select n + rk.earlier::integer from unnest(f.non_critical_counts) with ordinality as u(n, k) order by k) as counts) c
      where v_recheck_caps and i.status = 'pending'
    ) rc on true
    left join new_money nm on nm.position = i.position
  ), settled as (
    select d.*,
           case when d.status <> 'pending' then d.status
                when d.final_reason is not null then 'vetoed'
                when d.skip then 'skipped'
                else 'pending' end as final_status
    from decided d
  ), written as (
    insert into public.pipeline_executions as e (
      run_id, pipeline_type, pipeline_name, subject_key, period_key, user_id, status, vetoed, veto_reason, held_until,
      confidence_score, signal_count, trigger_data, policy_hash, decision_facts, attempts, error, request_batch,
      started_at, completed_at, created_at, updated_at)
    select p_run_id, p_job_type, p_pipeline_name, s.subject_key, s.period_key, s.user_id, s.final_status,
           s.final_reason is not null, s.final_reason,
           -- A quiet-hours hold keeps its time to go; a re-check that vetoed it for another reason does not.
           case when s.final_reason = 'QUIET_HOURS' then s.held_until end,
           s.confidence_score, s.signal_count, coalesce(s.trigger_data, '{}'::jsonb),
           p_policy_version->>'hash', s.recorded_facts,
           case when s.final_status = 'pending' then 1 else 0 end,
           s.error, case when s.final_status = 'pending' then p_batch end,
           p_now, case when s.final_status = 'pending' then null else p_now end, p_now, p_now
    from settled s
    order by s.position
    on conflict on constraint pipeline_executions_once do update set
      run_id = excluded.run_id,
      status = excluded.status,
      vetoed = excluded.vetoed,
      veto_reason = excluded.veto_reason,
      held_until = excluded.held_until,
      confidence_score = excluded.confidence_score,
      signal_count = excluded.signal_count,
      trigger_data = excluded.trigger_data,
      policy_hash = excluded.policy_hash,
      decision_facts = excluded.decision_facts,
      attempts = e.attempts + excluded.attempts,
      -- Retaking a crisis alert whose request was recorded (it may have gone) is its one unconfirmed resend.
      unconfirmed_resends = e.unconfirmed_resends + case
        when v_critical and e.status in ('unknown', 'pending')
             and exists (select 1 from public.pipeline_request_batches b where b.id = e.request_batch) then 1 else 0 end,
      error = excluded.error,
      request_batch = excluded.request_batch,
      started_at = excluded.started_at,
      completed_at = excluded.completed_at,
      updated_at = excluded.updated_at
    where e.status = 'failed'
       or (e.status = 'vetoed' and e.veto_reason = p_retake_veto_reason)
       or (p_retake_unknown and e.status = 'unknown' and (not v_critical or public.curator_may_resend(e.request_batch, e.unconfirmed_resends)))
       -- A crisis alert claimed half a minute ago and still pending: its invocation most likely died (Lambda's first
       -- retry comes a minute after), and a crisis alert is sent at least once.
       or (v_critical and e.status = 'pending' and e.updated_at < p_now - interval '30 seconds'
           and public.curator_may_resend(e.request_batch, e.unconfirmed_resends))
    returning e.id, e.subject_key, e.period_key, e.user_id, e.status, e.veto_reason
  ), claimed as (
    select w.*, s.template_id, s.credit
    from written w join settled s on s.subject_key = w.subject_key and s.period_key = w.period_key
    where w.status = 'pending'
  ), emails as (
    insert into public.email_delivery_log as l (
      execution_id, user_id, email_type, template_id, status, attempts, error, queued_at, sent_at, created_at, updated_at)
    select c.id, c.user_id, p_email_type, c.template_id, 'queued', 1, null, p_now, null, p_now, p_now
    from claimed c
    where p_email_type is not null
    on conflict on constraint email_delivery_log_one_per_execution do update set
      status = 'queued', attempts = l.attempts + 1, error = null, template_id = excluded.template_id,
      queued_at = excluded.queued_at, sent_at = null, updated_at = excluded.updated_at
    returning l.id, l.execution_id
  ), ledger as (
    insert into public.reward_ledger as l (
      user_id, amount, source, status, reference_key, execution_id, stripe_customer_id, description, expires_at,
      created_at, updated_at)
    select c.user_id, (c.credit->>'amount')::integer, c.credit->>'source', 'pending', c.credit->>'reference_key', c.id,
           c.credit->>'stripe_customer_id', c.credit->>'description', (c.credit->>'expires_at')::timestamptz, p_now, p_now
    from claimed c
    where c.credit is not null
    on conflict on constraint reward_ledger_once do update set
      status = case when l.status = 'failed' then 'pending' else l.status end,
      amount = case when l.status = 'failed' then excluded.amount else l.amount end,
      error_message = case when l.status = 'failed' then null else l.error_message end,
      execution_id = excluded.execution_id,
      stripe_customer_id = coalesce(l.stripe_customer_id, excluded.stripe_customer_id),
      updated_at = excluded.updated_at
    -- xmax is set on a row this statement updated rather than inserted: the movement was attempted before.
    returning l.id, l.execution_id, l.status, l.amount, l.stripe_balance_transaction_id, (l.xmax <> 0) as existed
  )
  select jsonb_build_object(
    'held', true,
    -- Three flat lists the store joins by execution id (joined here, the planner chose a nested loop).
    'claimed', coalesce((
      select jsonb_agg(jsonb_build_object('subject_key', c.subject_key, 'period_key', c.period_key, 'execution_id', c.id))
      from claimed c), '[]'::jsonb),
    'emails', coalesce((
      select jsonb_agg(jsonb_build_object('execution_id', em.execution_id, 'id', em.id)) from emails em), '[]'::jsonb),
    'ledger', coalesce((
      select jsonb_agg(jsonb_build_object(
               'execution_id', lg.execution_id, 'id', lg.id, 'status', lg.status, 'amount', lg.amount,
               'stripe_balance_transaction_id', lg.stripe_balance_transaction_id, 'existed', lg.existed))
      from ledger lg), '[]'::jsonb),
    'vetoed', coalesce((
      select jsonb_agg(jsonb_build_object('subject_key', w.subject_key, 'period_key', w.period_key, 'execution_id', w.id,
                                          'reason', w.veto_reason, 'status', w.status))
      from written w where w.status <> 'pending'), '[]'::jsonb),
    'unchanged', coalesce((
      select jsonb_agg(d.subject_key) from decided d
      where not exists (select 1 from written w where w.subject_key = d.subject_key and w.period_key = d.period_key)), '[]'::jsonb)
  ) into v_result;

  return v_result;
end;
$$;
