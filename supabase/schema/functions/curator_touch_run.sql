-- Extends the lease, saves the cursor and adds a page's counts: to the run's own while its firing walks it, to
-- replay_counts while a replay does. Returns held = false when the lease is no longer this owner's (another
-- invocation took the run over): the caller stops acting.
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
        candidates = candidates + case when replay_attempt_id is null then coalesce((p_counts->>'candidates')::integer, 0) else 0 end,
        executed = executed + case when replay_attempt_id is null then coalesce((p_counts->>'executed')::integer, 0) else 0 end,
        skipped = skipped + case when replay_attempt_id is null then coalesce((p_counts->>'skipped')::integer, 0) else 0 end,
        vetoed = vetoed + case when replay_attempt_id is null then coalesce((p_counts->>'vetoed')::integer, 0) else 0 end,
        failed = failed + case when replay_attempt_id is null then coalesce((p_counts->>'failed')::integer, 0) else 0 end,
        escalated = escalated + case when replay_attempt_id is null then coalesce((p_counts->>'escalated')::integer, 0) else 0 end,
        replay_counts = case when replay_attempt_id is null then replay_counts else public.curator_add_counts(replay_counts, p_counts) end,
        updated_at = p_now
    where id = p_run_id and lease_owner = p_owner and status = 'running'
    returning 1
  )
  select jsonb_build_object('held', exists (select 1 from touched));
$$;
