-- Takes the run of (job, period). First, every run of this job whose lease ran out (except one its shards hold,
-- whose shards have leases of their own) is marked stuck and its pending actions settled
-- (curator_settle_executions). Then: a new run is created and leased. A run leased and alive is left alone
-- (in_progress; its lease_expires_at says until when). A run handed on to its continuation is taken over at once. A
-- run that failed or got stuck is resumed from its cursor by its own firing or event delivered again (Lambda's
-- retries, a re-queued redelivery, the health job's resume). A succeeded run answers completed to its own firing
-- or event (or a replay's that took it over). Any other replay takes a finished or stuck run over and walks the
-- period again from the start (what succeeded is skipped), as an attempt of the period that leaves the firing's
-- trigger, start, event and counts as they were (its own counts in replay_counts). Every call is recorded as an
-- attempt on the run (pipeline_run_attempts: a firing, a redelivery, a continuation or a replay, with its event and
-- request ids; a refused one is recorded skipped with its reason). Answers acquired, resumed, the run, the
-- attempt's id, and how many runs it marked stuck.
create or replace function public.curator_acquire_run(
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
  v_attempt uuid;
  v_kind text;
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
    insert into public.pipeline_run_attempts (run_id, kind, event_id, request_id, started_at)
    values (v_run.id, case when p_trigger = 'schedule' then 'firing' else 'replay' end, p_event_id, p_owner, p_now)
    returning id into v_attempt;
    return jsonb_build_object('acquired', true, 'resumed', false, 'run', to_jsonb(v_run), 'stuck', v_stuck, 'attempt_id', v_attempt);
  end if;

  select * into v_run from public.pipeline_runs
  where job_type = p_job_type and period_key = p_period_key
  for update;

  if v_run.status = 'running' and v_run.lease_owner is distinct from 'continuation' then
    insert into public.pipeline_run_attempts (run_id, kind, event_id, request_id, outcome, reason, started_at, finished_at)
    values (v_run.id, 'redelivery', p_event_id, p_owner, 'skipped', 'in_progress', p_now, p_now)
    returning id into v_attempt;
    return jsonb_build_object('acquired', false, 'reason', 'in_progress', 'run', to_jsonb(v_run), 'stuck', v_stuck, 'attempt_id', v_attempt);
  end if;
  -- The same firing or replay event again (EventBridge delivers at least once; Lambda retries a failure): the
  -- firing's own event, or one of the replays that took the run over.
  v_again := p_trigger = 'schedule' or (p_event_id is not null and (v_run.event_id = p_event_id or exists (
    select 1 from public.pipeline_run_attempts a where a.run_id = v_run.id and a.kind = 'replay' and a.event_id = p_event_id)));
  if v_run.status = 'succeeded' and v_again then
    insert into public.pipeline_run_attempts (run_id, kind, event_id, request_id, outcome, reason, started_at, finished_at)
    values (v_run.id, 'redelivery', p_event_id, p_owner, 'skipped', 'completed', p_now, p_now)
    returning id into v_attempt;
    return jsonb_build_object('acquired', false, 'reason', 'completed', 'run', to_jsonb(v_run), 'stuck', v_stuck, 'attempt_id', v_attempt);
  end if;

  v_resume := v_run.status = 'running' or (v_run.status in ('failed', 'stuck') and v_again);
  if not v_resume then
    -- A replay takes the finished, failed or stuck run over and walks the period again from the start (what
    -- succeeded is skipped). It is an attempt of the period, never a rewrite of it: the run's trigger, start,
    -- event, counts and completion stay the firing's; its status, lease and cursor follow the replay, whose own
    -- counts add up in replay_counts.
    insert into public.pipeline_run_attempts (run_id, kind, event_id, request_id, started_at)
    values (v_run.id, 'replay', p_event_id, p_owner, p_now)
    returning id into v_attempt;
    update public.pipeline_runs
    set status = 'running',
        lease_owner = p_owner,
        lease_expires_at = p_now + make_interval(secs => p_lease_seconds),
        attempt = attempt + 1,
        resume_event = p_resume_event,
        cursor = null,
        error = null,
        replay_attempt_id = v_attempt,
        replay_counts = public.curator_add_counts(null, null),
        updated_at = p_now
    where id = v_run.id
    returning * into v_run;
    return jsonb_build_object('acquired', true, 'resumed', false, 'run', to_jsonb(v_run), 'stuck', v_stuck, 'attempt_id', v_attempt);
  end if;

  v_kind := case when v_run.status = 'running' then 'continuation' else 'redelivery' end;
  update public.pipeline_runs
  set status = 'running',
      lease_owner = p_owner,
      lease_expires_at = p_now + make_interval(secs => p_lease_seconds),
      attempt = attempt + 1,
      resume_event = coalesce(resume_event, p_resume_event),
      completed_at = case when replay_attempt_id is null then null else completed_at end,
      error = null,
      updated_at = p_now
  where id = v_run.id
  returning * into v_run;
  insert into public.pipeline_run_attempts (run_id, kind, event_id, request_id, started_at)
  values (v_run.id, v_kind, p_event_id, p_owner, p_now)
  returning id into v_attempt;
  return jsonb_build_object('acquired', true, 'resumed', v_resume, 'run', to_jsonb(v_run), 'stuck', v_stuck, 'attempt_id', v_attempt);
end;
$$;
