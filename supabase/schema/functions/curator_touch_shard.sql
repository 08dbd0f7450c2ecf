-- Saves a shard's page: its cursor, lease and counts, and the same counts added to the run (to its replay_counts
-- while a replay holds it), whose lease the shards keep alive between them. Returns held = false when the shard is no longer p_owner's.
create or replace function public.curator_touch_shard(
  p_run_id uuid,
  p_shard integer,
  p_owner text,
  p_lease_seconds integer,
  p_now timestamptz,
  p_cursor text,
  p_counts jsonb
) returns jsonb
language sql
volatile
set search_path = public, pg_temp
as $$
  with touched as (
    update public.pipeline_run_shards
    set lease_expires_at = p_now + make_interval(secs => p_lease_seconds),
        cursor = coalesce(p_cursor, cursor),
        candidates = candidates + coalesce((p_counts->>'candidates')::integer, 0),
        executed = executed + coalesce((p_counts->>'executed')::integer, 0),
        skipped = skipped + coalesce((p_counts->>'skipped')::integer, 0),
        vetoed = vetoed + coalesce((p_counts->>'vetoed')::integer, 0),
        failed = failed + coalesce((p_counts->>'failed')::integer, 0),
        escalated = escalated + coalesce((p_counts->>'escalated')::integer, 0),
        updated_at = p_now
    where run_id = p_run_id and shard = p_shard and lease_owner = p_owner and status = 'running'
    returning 1
  ), run as (
    update public.pipeline_runs
    set lease_expires_at = greatest(lease_expires_at, p_now + make_interval(secs => p_lease_seconds)),
        candidates = candidates + case when replay_attempt_id is null then coalesce((p_counts->>'candidates')::integer, 0) else 0 end,
        executed = executed + case when replay_attempt_id is null then coalesce((p_counts->>'executed')::integer, 0) else 0 end,
        skipped = skipped + case when replay_attempt_id is null then coalesce((p_counts->>'skipped')::integer, 0) else 0 end,
        vetoed = vetoed + case when replay_attempt_id is null then coalesce((p_counts->>'vetoed')::integer, 0) else 0 end,
        failed = failed + case when replay_attempt_id is null then coalesce((p_counts->>'failed')::integer, 0) else 0 end,
        escalated = escalated + case when replay_attempt_id is null then coalesce((p_counts->>'escalated')::integer, 0) else 0 end,
        replay_counts = case when replay_attempt_id is null then replay_counts else public.curator_add_counts(replay_counts, p_counts) end,
        updated_at = p_now
    where id = p_run_id and exists (select 1 from touched)
    returning 1
  )
  select jsonb_build_object('held', exists (select 1 from touched) and exists (select 1 from run));
$$;
