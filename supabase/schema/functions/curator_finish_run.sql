-- Ends a run as succeeded or failed, with its last counts (a replay's to its replay_counts), and releases its lease. A failed run's pending actions
-- are settled first (what may have left is unknown, the rest is decidable again). Returns the run, or null when
-- the lease was no longer p_owner's.
create or replace function public.curator_finish_run(
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
      candidates = candidates + case when replay_attempt_id is null then coalesce((p_counts->>'candidates')::integer, 0) else 0 end,
      executed = executed + case when replay_attempt_id is null then coalesce((p_counts->>'executed')::integer, 0) else 0 end,
      skipped = skipped + case when replay_attempt_id is null then coalesce((p_counts->>'skipped')::integer, 0) else 0 end,
      vetoed = vetoed + case when replay_attempt_id is null then coalesce((p_counts->>'vetoed')::integer, 0) else 0 end,
      held = held + case when replay_attempt_id is null then coalesce((p_counts->>'held')::integer, 0) else 0 end,
      failed = failed + case when replay_attempt_id is null then coalesce((p_counts->>'failed')::integer, 0) else 0 end,
      escalated = escalated + case when replay_attempt_id is null then coalesce((p_counts->>'escalated')::integer, 0) else 0 end,
      replay_counts = case when replay_attempt_id is null then replay_counts else public.curator_add_counts(replay_counts, p_counts) end,
      completed_at = case when replay_attempt_id is null then p_now else coalesce(completed_at, p_now) end,
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
