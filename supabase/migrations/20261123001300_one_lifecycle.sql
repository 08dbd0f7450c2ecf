-- One lifecycle for every kind of held work (a run, a continuation, a shard, a replay), and nothing left pending
-- when one fails or dies. See 20261123000600_curator_runs.sql for conventions. Functions whose arguments changed
-- are dropped and created again; the rest are replaced.
--
-- What a failed or dead invocation leaves is settled by one function, curator_settle_executions: an action whose
-- provider request may have left (its claim's request batch was recorded before the request) becomes `unknown`;
-- one that was claimed but never attempted becomes `failed` (decidable again: the next walk or replay redoes it)
-- and its queued email row is removed, since no email exists. A run that failed is resumed from its cursor by
-- the same firing delivered again (Lambda's own retries), so the period is finished without a human.

-- The event that resumes a run (the one that started it, with its period and range resolved): what a redelivery
-- re-queues for after a live lease, and what the health job queues for a run whose invocation died.
alter table public.pipeline_runs add column resume_event jsonb;
comment on column public.pipeline_runs.resume_event is
  'The event that resumes this run: queued by a redelivery that found it leased, and by the health job when its invocation died.';

-- Each claim belongs to the request batch of its page (written with the claim). The batch is recorded, in
-- curator_mark_requests, just before its first provider request leaves: a claim whose batch is recorded may have
-- reached the provider; one whose batch is not never did.
alter table public.pipeline_executions add column request_batch uuid;
comment on column public.pipeline_executions.request_batch is
  'The request batch of the claim; the claim''s provider request may have left once the batch is in pipeline_request_batches.';

create table public.pipeline_request_batches (
  id          uuid primary key,
  run_id      uuid,
  created_at  timestamptz not null
);
comment on table public.pipeline_request_batches is
  'Request batches whose first provider request was about to leave; kept a week (curator_recover removes older ones).';
create index pipeline_request_batches_created on public.pipeline_request_batches (created_at);
alter table public.pipeline_request_batches enable row level security;
revoke all on table public.pipeline_request_batches from public, anon, authenticated;
grant select, insert, update, delete on table public.pipeline_request_batches to service_role;
create policy service_role_all on public.pipeline_request_batches as permissive for all to service_role using (true) with check (true);

-- Settles pending executions nobody will finish (their invocation failed, or died): `unknown` when their request
-- batch was recorded (the request may have left: an email is not sent again, a credit is looked up by its ledger
-- id before it is made again), else `failed` with p_reason, their queued email row removed and their unpaid
-- ledger row failed, so the next walk or replay redoes them. Only pending rows change. Returns how many did.
create function public.curator_settle_executions(
  p_ids uuid[],
  p_now timestamptz,
  p_reason text
) returns integer
language sql
volatile
set search_path = public, pg_temp
as $$
  with pending as (
    select e.id, exists (select 1 from public.pipeline_request_batches b where b.id = e.request_batch) as may_have_left
    from public.pipeline_executions e
    where e.id = any(p_ids) and e.status = 'pending'
  ), settled as (
    update public.pipeline_executions e
    set status = case when p.may_have_left then 'unknown' else 'failed' end,
        error = case when p.may_have_left then coalesce(e.error, p_reason || '; its request may have left')
                     else p_reason || '; nothing was sent' end,
        completed_at = case when p.may_have_left then null else p_now end,
        updated_at = p_now
    from pending p
    where e.id = p.id
    returning e.id, e.status
  ), unsent_emails as (
    delete from public.email_delivery_log l
    using settled s
    where l.execution_id = s.id and s.status = 'failed' and l.status = 'queued'
    returning 1
  ), unsent_credits as (
    update public.reward_ledger l
    set status = 'failed', error_message = p_reason || '; not sent', updated_at = p_now
    from settled s
    where l.execution_id = s.id and s.status = 'failed' and l.status = 'pending' and l.stripe_balance_transaction_id is null
    returning 1
  )
  select count(*)::integer from settled;
$$;

-- Records that a page's provider requests are about to leave: its request batch, and the lease renewed. Fenced: with
-- p_lease ({ run_id, shard, owner, lease_seconds }) nothing is recorded and held = false when the lease is no longer
-- the caller's, who must then not send. Without p_lease (a realtime signal, which holds no run) it always records.
create function public.curator_mark_requests(
  p_batch uuid,
  p_lease jsonb,
  p_now timestamptz
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_run_id uuid := (p_lease->>'run_id')::uuid;
  v_until timestamptz := p_now + make_interval(secs => coalesce((p_lease->>'lease_seconds')::integer, 0));
begin
  if p_lease is not null then
    if p_lease->>'shard' is null then
      update public.pipeline_runs
      set lease_expires_at = greatest(lease_expires_at, v_until), updated_at = p_now
      where id = v_run_id and lease_owner = p_lease->>'owner' and status = 'running';
    else
      update public.pipeline_run_shards
      set lease_expires_at = greatest(lease_expires_at, v_until), updated_at = p_now
      where run_id = v_run_id and shard = (p_lease->>'shard')::integer and lease_owner = p_lease->>'owner' and status = 'running';
    end if;
    if not found then
      return jsonb_build_object('held', false);
    end if;
  end if;
  insert into public.pipeline_request_batches (id, run_id, created_at) values (p_batch, v_run_id, p_now)
  on conflict (id) do nothing;
  return jsonb_build_object('held', true);
end;
$$;

-- Takes the run of (job, period). First, every run of this job whose lease ran out (except one its shards hold,
-- whose shards have leases of their own) is marked stuck and its pending actions settled. Then: a new run is
-- created and leased. A run leased and alive is left alone (in_progress; its lease_expires_at says until when). A
-- run handed on to its continuation is taken over at once. A run that failed or got stuck is resumed from its
-- cursor by its own firing or event delivered again (Lambda's retries, a re-queued redelivery, the health job's
-- resume). A succeeded run answers completed to its own firing or event. Any other replay takes a finished or
-- stuck run over and walks the period again from the start (what succeeded is skipped). Answers acquired, resumed,
-- the run, and how many runs it marked stuck.
drop function public.curator_acquire_run(text, text, text, text, integer, timestamptz, text, timestamptz);
create function public.curator_acquire_run(
  p_job_type text,
  p_period_key text,
  p_trigger text,
  p_owner text,
  p_lease_seconds integer,
  p_now timestamptz,
  p_event_id text default null,
  p_scheduled_for timestamptz default null,
  p_resume_event jsonb default null
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_run public.pipeline_runs;
  v_stuck_id uuid;
  v_stuck integer := 0;
  v_again boolean;
  v_resume boolean;
begin
  for v_stuck_id in
    update public.pipeline_runs
    set status = 'stuck', updated_at = p_now, error = coalesce(error, 'lease expired while running')
    where job_type = p_job_type and status = 'running' and lease_expires_at < p_now and lease_owner is distinct from 'shards'
    returning id
  loop
    perform public.curator_settle_executions(
      array(select e.id from public.pipeline_executions e where e.run_id = v_stuck_id and e.status = 'pending'),
      p_now, 'the run stopped (its lease expired) before this outcome was recorded');
    v_stuck := v_stuck + 1;
  end loop;

  insert into public.pipeline_runs
    (job_type, period_key, trigger, status, event_id, scheduled_for, lease_owner, lease_expires_at, started_at, updated_at, resume_event)
  values
    (p_job_type, p_period_key, p_trigger, 'running', p_event_id, p_scheduled_for, p_owner,
     p_now + make_interval(secs => p_lease_seconds), p_now, p_now, p_resume_event)
  on conflict on constraint pipeline_runs_once do nothing
  returning * into v_run;
  if found then
    return jsonb_build_object('acquired', true, 'resumed', false, 'run', to_jsonb(v_run), 'stuck', v_stuck);
  end if;

  select * into v_run from public.pipeline_runs
  where job_type = p_job_type and period_key = p_period_key
  for update;

  if v_run.status = 'running' and v_run.lease_owner is distinct from 'continuation' then
    return jsonb_build_object('acquired', false, 'reason', 'in_progress', 'run', to_jsonb(v_run), 'stuck', v_stuck);
  end if;
  -- The same firing or replay event again (EventBridge delivers at least once; Lambda retries a failure).
  v_again := p_trigger = 'schedule' or (p_event_id is not null and v_run.event_id = p_event_id);
  if v_run.status = 'succeeded' and v_again then
    return jsonb_build_object('acquired', false, 'reason', 'completed', 'run', to_jsonb(v_run), 'stuck', v_stuck);
  end if;

  v_resume := v_run.status = 'running' or (v_run.status in ('failed', 'stuck') and v_again);
  update public.pipeline_runs
  set status = 'running',
      trigger = case when v_resume then v_run.trigger else p_trigger end,
      lease_owner = p_owner,
      lease_expires_at = p_now + make_interval(secs => p_lease_seconds),
      attempt = attempt + 1,
      event_id = case when v_resume then v_run.event_id else p_event_id end,
      resume_event = case when v_resume then coalesce(v_run.resume_event, p_resume_event) else p_resume_event end,
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
  return jsonb_build_object('acquired', true, 'resumed', v_resume, 'run', to_jsonb(v_run), 'stuck', v_stuck);
end;
$$;

-- Ends a run as succeeded or failed, with its last counts, and releases its lease. A failed run's pending actions
-- are settled first (what may have left is unknown, the rest is decidable again). Returns the run, or null when
-- the lease was no longer p_owner's.
drop function public.curator_finish_run(uuid, text, text, timestamptz, jsonb, text);
create function public.curator_finish_run(
  p_run_id uuid,
  p_owner text,
  p_status text,
  p_now timestamptz,
  p_counts jsonb,
  p_error text default null
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_run public.pipeline_runs;
begin
  if p_status not in ('succeeded', 'failed') then
    raise exception 'curator_finish_run: p_status must be succeeded or failed, got %', p_status;
  end if;
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
  returning * into v_run;
  if not found then
    return null;
  end if;
  if p_status = 'failed' then
    perform public.curator_settle_executions(
      array(select e.id from public.pipeline_executions e where e.run_id = p_run_id and e.status = 'pending'),
      p_now, 'the run failed before this outcome was recorded (' || coalesce(p_error, 'no error given') || ')');
  end if;
  return to_jsonb(v_run);
end;
$$;

-- Hands a run on to its continuation, saving the cursor it reached: the next delivery takes it over at once. If
-- the continuation never comes, the lease runs out after p_grace_seconds and the health job resumes the run.
drop function public.curator_release_run(uuid, text, integer, timestamptz);
create function public.curator_release_run(
  p_run_id uuid,
  p_owner text,
  p_grace_seconds integer,
  p_now timestamptz,
  p_cursor jsonb default null
) returns jsonb
language sql
volatile
set search_path = public, pg_temp
as $$
  with released as (
    update public.pipeline_runs
    set lease_owner = 'continuation', lease_expires_at = p_now + make_interval(secs => p_grace_seconds),
        cursor = coalesce(p_cursor, cursor), updated_at = p_now
    where id = p_run_id and lease_owner = p_owner and status = 'running'
    returning 1
  )
  select jsonb_build_object('released', exists (select 1 from released));
$$;

-- The same for a shard.
drop function public.curator_release_shard(uuid, integer, text, integer, timestamptz);
create function public.curator_release_shard(
  p_run_id uuid,
  p_shard integer,
  p_owner text,
  p_grace_seconds integer,
  p_now timestamptz,
  p_cursor text default null
) returns jsonb
language sql
volatile
set search_path = public, pg_temp
as $$
  with released as (
    update public.pipeline_run_shards
    set lease_owner = 'continuation', lease_expires_at = p_now + make_interval(secs => p_grace_seconds),
        cursor = coalesce(p_cursor, cursor), updated_at = p_now
    where run_id = p_run_id and shard = p_shard and lease_owner = p_owner and status = 'running'
    returning 1
  )
  select jsonb_build_object('released', exists (select 1 from released));
$$;

-- The pending executions of a run whose subject lies in a shard's range (after_key, through_key].
create function public.curator_pending_in_range(p_run_id uuid, p_after_key text, p_through_key text)
returns uuid[]
language sql
stable
set search_path = public, pg_temp
as $$
  select array(
    select e.id from public.pipeline_executions e
    where e.run_id = p_run_id and e.status = 'pending'
      and (p_after_key is null or e.subject_key > p_after_key)
      and (p_through_key is null or e.subject_key <= p_through_key));
$$;

-- Takes shard p_shard of the run's attempt p_generation, as before: a live or finished shard is left alone; a shard
-- whose invocation died (lease expired) or failed is taken over from its cursor, its pending actions settled first.
-- A failed shard retried by the queue brings the run it failed back to running.
create or replace function public.curator_acquire_shard(
  p_run_id uuid,
  p_shard integer,
  p_generation integer,
  p_owner text,
  p_lease_seconds integer,
  p_now timestamptz
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_run public.pipeline_runs;
  v_shard public.pipeline_run_shards;
begin
  select * into v_run from public.pipeline_runs where id = p_run_id for update;
  if not found or v_run.attempt <> p_generation then
    return jsonb_build_object('acquired', false, 'reason', 'superseded');
  end if;
  select * into v_shard from public.pipeline_run_shards where run_id = p_run_id and shard = p_shard for update;
  if not found or v_shard.generation <> p_generation then
    return jsonb_build_object('acquired', false, 'reason', 'superseded');
  end if;
  if v_shard.status = 'succeeded' then
    return jsonb_build_object('acquired', false, 'reason', 'completed', 'shard', to_jsonb(v_shard));
  end if;
  if not (v_run.status = 'running' or (v_run.status = 'failed' and v_shard.status = 'failed')) then
    return jsonb_build_object('acquired', false, 'reason', 'run_' || v_run.status, 'shard', to_jsonb(v_shard));
  end if;
  if v_shard.status = 'running' and v_shard.lease_owner is distinct from 'continuation' and v_shard.lease_expires_at >= p_now then
    return jsonb_build_object('acquired', false, 'reason', 'in_progress', 'shard', to_jsonb(v_shard));
  end if;

  if v_shard.status = 'failed' or (v_shard.status = 'running' and v_shard.lease_owner is distinct from 'continuation') then
    perform public.curator_settle_executions(
      public.curator_pending_in_range(p_run_id, v_shard.after_key, v_shard.through_key),
      p_now, 'the shard stopped before this outcome was recorded');
  end if;
  if v_run.status = 'failed' then
    update public.pipeline_runs
    set status = 'running', lease_owner = 'shards', lease_expires_at = p_now + make_interval(secs => p_lease_seconds),
        completed_at = null, error = null, updated_at = p_now
    where id = p_run_id;
  end if;
  update public.pipeline_run_shards
  set status = 'running', lease_owner = p_owner, lease_expires_at = p_now + make_interval(secs => p_lease_seconds),
      attempt = attempt + 1, started_at = coalesce(started_at, p_now), completed_at = null, error = null, updated_at = p_now
  where run_id = p_run_id and shard = p_shard
  returning * into v_shard;
  return jsonb_build_object('acquired', true, 'shard', to_jsonb(v_shard));
end;
$$;

-- Ends a shard as succeeded or failed, as before; a failed shard's pending actions are settled first. The last
-- shard to finish completes the run, failed if any shard failed.
create or replace function public.curator_finish_shard(
  p_run_id uuid,
  p_shard integer,
  p_owner text,
  p_status text,
  p_now timestamptz,
  p_error text default null
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_run public.pipeline_runs;
  v_shard public.pipeline_run_shards;
  v_open integer;
  v_failed integer;
  v_error text;
begin
  if p_status not in ('succeeded', 'failed') then
    raise exception 'curator_finish_shard: p_status must be succeeded or failed, got %', p_status;
  end if;
  perform 1 from public.pipeline_runs where id = p_run_id for update;
  update public.pipeline_run_shards
  set status = p_status, lease_owner = null, lease_expires_at = null, completed_at = p_now, error = p_error, updated_at = p_now
  where run_id = p_run_id and shard = p_shard and lease_owner = p_owner and status = 'running'
  returning * into v_shard;
  if not found then
    return jsonb_build_object('held', false, 'run', null);
  end if;
  if p_status = 'failed' then
    perform public.curator_settle_executions(
      public.curator_pending_in_range(p_run_id, v_shard.after_key, v_shard.through_key),
      p_now, 'the shard failed before this outcome was recorded (' || coalesce(p_error, 'no error given') || ')');
  end if;

  select count(*) filter (where status in ('pending', 'running')),
         count(*) filter (where status = 'failed'),
         min(format('shard %s: %s', shard, error)) filter (where status = 'failed')
  into v_open, v_failed, v_error
  from public.pipeline_run_shards where run_id = p_run_id;
  if v_open > 0 then
    return jsonb_build_object('held', true, 'run', null);
  end if;

  update public.pipeline_runs
  set status = case when v_failed > 0 then 'failed' else 'succeeded' end,
      lease_owner = null, lease_expires_at = null, completed_at = p_now, updated_at = p_now,
      error = case when v_failed > 0 then format('%s of %s shards failed; %s', v_failed, shards, v_error) end
  where id = p_run_id and status = 'running'
  returning * into v_run;
  return jsonb_build_object('held', true, 'run', case when found then to_jsonb(v_run) end);
end;
$$;

-- Writes one page of decisions in one transaction and claims the actions to take, as before (20261123000700 says
-- how caps and the credit ceiling are re-checked under locks), with two changes. Each row carries the status the
-- curator's core decided (`pending` to act, `vetoed`, `escalated`, `failed`): this function never decides an
-- escalation, it records it; only its re-check under lock may still veto a pending row (FREQUENCY_CAP,
-- USER_OPTED_OUT, BUDGET_EXCEEDED), and such a row is `vetoed`. Every claim is stamped with p_batch, the page's
-- request batch (curator_mark_requests). A decision of unknown outcome is taken again with p_retake_unknown (a
-- credit, looked up by its ledger id first; a crisis alert); a crisis alert still pending after 30 seconds too.
--
-- p_rows: [{ subject_key, period_key, user_id, status, veto_reason, confidence_score, signal_count, trigger_data,
--            error, template_id, credit: { amount, source, reference_key, stripe_customer_id, expires_at, description } }]
drop function public.curator_record_decisions(uuid, text, text, text, jsonb, bigint, text, boolean, timestamptz, jsonb);
create function public.curator_record_decisions(
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
  p_batch uuid default null
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
      subject_key text, period_key text, user_id uuid, status text, veto_reason text,
      confidence_score float8, signal_count integer, trigger_data jsonb, error text, template_id text,
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
             when v_recheck_caps and not (
               coalesce(f.opted_out, true) = false and coalesce(f.suppressed, true) = false
               and public.email_caps_hold(
                 f.type_count + rk.earlier::integer,
                 array(select c + rk.earlier::integer from unnest(f.non_critical_counts) with ordinality as u(c, k) order by k),
                 p_policy))
               then case when coalesce(f.opted_out, true) or coalesce(f.suppressed, true) then 'USER_OPTED_OUT' else 'FREQUENCY_CAP' end
             when p_credit_ceiling_cents is not null and nm.running is not null and v_spent + nm.running > p_credit_ceiling_cents
               then 'BUDGET_EXCEEDED'
           end as final_reason
    from input i
    left join facts f on f.user_id = i.user_id
    left join ranked rk on rk.position = i.position
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
      run_id, pipeline_type, pipeline_name, subject_key, period_key, user_id, status, vetoed, veto_reason,
      confidence_score, signal_count, trigger_data, attempts, error, request_batch, started_at, completed_at, created_at, updated_at)
    select p_run_id, p_job_type, p_pipeline_name, s.subject_key, s.period_key, s.user_id, s.final_status,
           s.final_reason is not null, s.final_reason,
           s.confidence_score, s.signal_count, coalesce(s.trigger_data, '{}'::jsonb),
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
      confidence_score = excluded.confidence_score,
      signal_count = excluded.signal_count,
      trigger_data = excluded.trigger_data,
      attempts = e.attempts + excluded.attempts,
      error = excluded.error,
      request_batch = excluded.request_batch,
      started_at = excluded.started_at,
      completed_at = excluded.completed_at,
      updated_at = excluded.updated_at
    where e.status = 'failed'
       or (e.status = 'vetoed' and e.veto_reason = p_retake_veto_reason)
       or (p_retake_unknown and e.status = 'unknown')
       -- A crisis alert claimed half a minute ago and still pending: its invocation most likely died (Lambda's first
       -- retry comes a minute after), and a crisis alert is sent at least once.
       or (v_critical and e.status = 'pending' and e.updated_at < p_now - interval '30 seconds')
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

-- Records what the providers answered for one page, and the page's progress, in one transaction (one round trip):
-- each execution's final status (a claim the kill switch stopped before its request is `vetoed`
-- KILL_SWITCH_ACTIVE, its queued email row removed, since no email exists), its email row (sent with the
-- provider's message id, failed with its error, queued when the outcome is unknown), its ledger row, the
-- referral's reward status and the expired credit an expiry closes. A status never moves back: only pending or
-- unknown executions and queued or failed email rows change. With p_progress ({ run_id, shard, owner,
-- lease_seconds, cursor, counts }) the page's counts are added to the run (and shard), the lease renewed and the
-- cursor saved, as curator_touch_run / curator_touch_shard do; `held` says whether the lease was still the
-- caller's. Returns how many rows of each kind changed.
--
-- p_rows: [{ execution_id, status, veto_reason, error, email_log_id, email_status, provider_message_id, ledger_id,
--            ledger_status, stripe_balance_transaction_id, referral_id, expired_ledger_id }]
drop function public.curator_record_outcomes(timestamptz, jsonb);
create function public.curator_record_outcomes(
  p_now timestamptz,
  p_rows jsonb,
  p_progress jsonb default null
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_result jsonb;
  v_touch jsonb := null;
begin
  with outcome as (
    select * from jsonb_to_recordset(coalesce(p_rows, '[]'::jsonb)) as o(
      execution_id uuid, status text, veto_reason text, error text, email_log_id uuid, email_status text,
      provider_message_id text, ledger_id uuid, ledger_status text, stripe_balance_transaction_id text,
      referral_id uuid, expired_ledger_id uuid)
  ), executions as (
    update public.pipeline_executions e
    set status = o.status,
        vetoed = o.veto_reason is not null,
        veto_reason = o.veto_reason,
        error = o.error,
        completed_at = case when o.status in ('pending', 'unknown') then null else p_now end,
        updated_at = p_now
    from outcome o
    where e.id = o.execution_id and e.status in ('pending', 'unknown')
    returning e.id
  ), emails as (
    update public.email_delivery_log l
    set status = o.email_status,
        provider_message_id = coalesce(o.provider_message_id, l.provider_message_id),
        error = case when o.email_status = 'failed' then o.error end,
        sent_at = case when o.email_status = 'sent' then p_now else l.sent_at end,
        updated_at = p_now
    from outcome o
    where l.id = o.email_log_id and o.email_status in ('sent', 'failed', 'queued') and l.status in ('queued', 'failed')
    returning l.id
  ), unsent as (
    delete from public.email_delivery_log l
    using outcome o
    where l.id = o.email_log_id and o.email_status = 'unsent' and l.status = 'queued'
    returning l.id
  ), ledger as (
    update public.reward_ledger l
    set status = o.ledger_status,
        stripe_balance_transaction_id = coalesce(o.stripe_balance_transaction_id, l.stripe_balance_transaction_id),
        error_message = case when o.ledger_status = 'failed' then o.error end,
        applied_at = case when o.ledger_status = 'applied' then p_now else l.applied_at end,
        updated_at = p_now
    from outcome o
    where l.id = o.ledger_id and o.ledger_status is not null
    returning l.id
  ), referrals as (
    update public.referral_tracking r
    set reward_status = case when o.ledger_status = 'failed' then 'failed' else 'issued' end,
        reward_ledger_id = o.ledger_id,
        updated_at = p_now
    from outcome o
    where r.id = o.referral_id and r.reward_status <> 'issued' and o.ledger_status is not null
    returning r.id
  ), expired as (
    update public.reward_ledger l
    set status = 'expired', expired_at = p_now, updated_at = p_now
    from outcome o
    where l.id = o.expired_ledger_id and o.status = 'succeeded' and l.status = 'pending'
    returning l.id
  )
  select jsonb_build_object(
    'executions', (select count(*) from executions),
    'emails', (select count(*) from emails) + (select count(*) from unsent),
    'ledger', (select count(*) from ledger),
    'referrals', (select count(*) from referrals),
    'expired', (select count(*) from expired)) into v_result;

  if p_progress is not null then
    if p_progress->>'shard' is null then
      v_touch := public.curator_touch_run(
        (p_progress->>'run_id')::uuid, p_progress->>'owner', (p_progress->>'lease_seconds')::integer, p_now,
        case when p_progress->>'cursor' is null then null else jsonb_build_object('after', p_progress->>'cursor') end,
        p_progress->'counts');
    else
      v_touch := public.curator_touch_shard(
        (p_progress->>'run_id')::uuid, (p_progress->>'shard')::integer, p_progress->>'owner',
        (p_progress->>'lease_seconds')::integer, p_now, p_progress->>'cursor', p_progress->'counts');
    end if;
  end if;
  return v_result || jsonb_build_object('held', coalesce((v_touch->>'held')::boolean, true));
end;
$$;

-- The executions a replay of held actions re-decides, a page at a time after its (created_at, id) cursor, as in
-- 20261123001200: those vetoed for p_veto_reason, or, without one, failed or of unknown outcome; and now also those
-- the replay's own run (p_run_id) left failed or unknown when it failed, so the redelivered replay finishes what it
-- had taken up (they are no longer vetoed, and would otherwise be passed over).
drop function public.curator_replay_targets(text, text, timestamptz, timestamptz, uuid[], timestamptz, uuid, integer);
create function public.curator_replay_targets(
  p_job_type text,
  p_veto_reason text,
  p_from timestamptz,
  p_to timestamptz,
  p_user_ids uuid[],
  p_after_created_at timestamptz,
  p_after_id uuid,
  p_limit integer,
  p_run_id uuid default null
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  with held as (
    select e.id, e.created_at, e.period_key, e.subject_key, e.user_id, e.status, e.veto_reason, e.trigger_data,
           e.confidence_score, e.signal_count
    from public.pipeline_executions e
    where p_veto_reason is not null
      and e.vetoed
      and e.pipeline_type = p_job_type
      and e.veto_reason = p_veto_reason
      and e.created_at >= greatest(p_from, coalesce(p_after_created_at, p_from)) and e.created_at <= p_to
      and (e.created_at, e.id) > (coalesce(p_after_created_at, '-infinity'), coalesce(p_after_id, '00000000-0000-0000-0000-000000000000'))
      and (p_user_ids is null or e.user_id = any(p_user_ids))
    order by e.created_at, e.id
    limit p_limit
  ), unfinished as (
    select e.id, e.created_at, e.period_key, e.subject_key, e.user_id, e.status, e.veto_reason, e.trigger_data,
           e.confidence_score, e.signal_count
    from public.pipeline_executions e
    where p_veto_reason is null
      and e.status in ('failed', 'unknown')
      and e.pipeline_type = p_job_type
      and e.created_at >= greatest(p_from, coalesce(p_after_created_at, p_from)) and e.created_at <= p_to
      and (e.created_at, e.id) > (coalesce(p_after_created_at, '-infinity'), coalesce(p_after_id, '00000000-0000-0000-0000-000000000000'))
      and (p_user_ids is null or e.user_id = any(p_user_ids))
    order by e.created_at, e.id
    limit p_limit
  ), own as (
    select e.id, e.created_at, e.period_key, e.subject_key, e.user_id, e.status, e.veto_reason, e.trigger_data,
           e.confidence_score, e.signal_count
    from public.pipeline_executions e
    where e.run_id = p_run_id
      and e.status in ('failed', 'unknown')
      and e.pipeline_type = p_job_type
      and e.created_at >= greatest(p_from, coalesce(p_after_created_at, p_from)) and e.created_at <= p_to
      and (e.created_at, e.id) > (coalesce(p_after_created_at, '-infinity'), coalesce(p_after_id, '00000000-0000-0000-0000-000000000000'))
      and (p_user_ids is null or e.user_id = any(p_user_ids))
    order by e.created_at, e.id
    limit p_limit
  ), targets as (
    select * from held
    union
    select * from unfinished
    union
    select * from own
    order by created_at, id
    limit p_limit
  )
  select coalesce(jsonb_agg(to_jsonb(targets) order by targets.created_at, targets.id), '[]'::jsonb) from targets;
$$;

-- What the health job recovers, in one statement: every run whose lease ran out while running (except one held by
-- its shards) is marked stuck and its pending actions settled; the pending actions of realtime signals whose
-- invocation died (no run, claimed longer than a lease ago) are settled the same way; request batches older than a
-- week are removed. Answers what to resume: the stuck runs updated in the last six hours with a resume event and
-- fewer than p_max_attempts attempts, and the shards of running runs whose lease ran out, with what their event
-- needs; and how many runs were newly marked stuck, per job.
create function public.curator_recover(
  p_now timestamptz,
  p_lease_seconds integer,
  p_max_attempts integer
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_stuck_id uuid;
  v_newly jsonb := '{}'::jsonb;
  v_job text;
  v_orphans integer;
begin
  for v_stuck_id, v_job in
    update public.pipeline_runs
    set status = 'stuck', updated_at = p_now, error = coalesce(error, 'lease expired while running')
    where status = 'running' and lease_expires_at < p_now and lease_owner is distinct from 'shards'
    returning id, job_type
  loop
    perform public.curator_settle_executions(
      array(select e.id from public.pipeline_executions e where e.run_id = v_stuck_id and e.status = 'pending'),
      p_now, 'the run stopped (its lease expired) before this outcome was recorded');
    v_newly := jsonb_set(v_newly, array[v_job], to_jsonb(coalesce((v_newly->>v_job)::integer, 0) + 1));
  end loop;

  select public.curator_settle_executions(
    array(select e.id from public.pipeline_executions e
          where e.run_id is null and e.status = 'pending' and e.updated_at < p_now - make_interval(secs => p_lease_seconds)),
    p_now, 'the invocation stopped before this outcome was recorded')
  into v_orphans;

  delete from public.pipeline_request_batches where created_at < p_now - interval '7 days';

  return jsonb_build_object(
    'newly_stuck', v_newly,
    'orphans_settled', v_orphans,
    'resume_runs', coalesce((
      select jsonb_agg(jsonb_build_object('run_id', r.id, 'job_type', r.job_type, 'period_key', r.period_key,
                                          'attempt', r.attempt, 'resume_event', r.resume_event) order by r.updated_at)
      from public.pipeline_runs r
      where r.status = 'stuck' and r.resume_event is not null and r.attempt < p_max_attempts
        and r.updated_at > p_now - interval '6 hours'), '[]'::jsonb),
    'resume_shards', coalesce((
      select jsonb_agg(jsonb_build_object('run_id', s.run_id, 'job_type', r.job_type, 'shard', s.shard,
                                          'generation', s.generation, 'period_key', r.period_key,
                                          'scheduled_for', r.scheduled_for) order by s.run_id, s.shard)
      from public.pipeline_run_shards s
      join public.pipeline_runs r on r.id = s.run_id and r.status = 'running' and r.attempt = s.generation
      where s.status = 'running' and s.lease_expires_at < p_now and s.attempt < p_max_attempts), '[]'::jsonb));
end;
$$;

revoke execute on function public.curator_settle_executions(uuid[], timestamptz, text) from public, anon, authenticated;
revoke execute on function public.curator_mark_requests(uuid, jsonb, timestamptz) from public, anon, authenticated;
revoke execute on function public.curator_acquire_run(text, text, text, text, integer, timestamptz, text, timestamptz, jsonb) from public, anon, authenticated;
revoke execute on function public.curator_finish_run(uuid, text, text, timestamptz, jsonb, text) from public, anon, authenticated;
revoke execute on function public.curator_release_run(uuid, text, integer, timestamptz, jsonb) from public, anon, authenticated;
revoke execute on function public.curator_release_shard(uuid, integer, text, integer, timestamptz, text) from public, anon, authenticated;
revoke execute on function public.curator_pending_in_range(uuid, text, text) from public, anon, authenticated;
revoke execute on function public.curator_record_decisions(uuid, text, text, text, jsonb, bigint, text, boolean, timestamptz, jsonb, uuid) from public, anon, authenticated;
revoke execute on function public.curator_record_outcomes(timestamptz, jsonb, jsonb) from public, anon, authenticated;
revoke execute on function public.curator_recover(timestamptz, integer, integer) from public, anon, authenticated;
revoke execute on function public.curator_replay_targets(text, text, timestamptz, timestamptz, uuid[], timestamptz, uuid, integer, uuid) from public, anon, authenticated;
grant execute on function public.curator_settle_executions(uuid[], timestamptz, text) to service_role;
grant execute on function public.curator_mark_requests(uuid, jsonb, timestamptz) to service_role;
grant execute on function public.curator_acquire_run(text, text, text, text, integer, timestamptz, text, timestamptz, jsonb) to service_role;
grant execute on function public.curator_finish_run(uuid, text, text, timestamptz, jsonb, text) to service_role;
grant execute on function public.curator_release_run(uuid, text, integer, timestamptz, jsonb) to service_role;
grant execute on function public.curator_release_shard(uuid, integer, text, integer, timestamptz, text) to service_role;
grant execute on function public.curator_pending_in_range(uuid, text, text) to service_role;
grant execute on function public.curator_record_decisions(uuid, text, text, text, jsonb, bigint, text, boolean, timestamptz, jsonb, uuid) to service_role;
grant execute on function public.curator_record_outcomes(timestamptz, jsonb, jsonb) to service_role;
grant execute on function public.curator_recover(timestamptz, integer, integer) to service_role;
grant execute on function public.curator_replay_targets(text, text, timestamptz, timestamptz, uuid[], timestamptz, uuid, integer, uuid) to service_role;
