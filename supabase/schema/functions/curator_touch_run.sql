-- Extends the lease, saves the cursor and adds a page's counts. Returns held = false when the lease is no
-- longer this owner's (another invocation took the run over): the caller stops acting.
create or replace function public.curator_touch_run(
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
