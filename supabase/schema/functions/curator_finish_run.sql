-- Ends a run as succeeded or failed, with its last counts, and releases its lease. A failed run's pending actions
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
