-- Renews a lease and saves a page's progress under it, for a run and for a shard alike (the one place a lease is
-- touched). p_lease: { run_id, shard, owner, lease_seconds }, shard null for a whole run. The lease is extended
-- (never shortened), the cursor saved when given (a run keeps it as { after }, a shard as text), and p_counts added:
-- to the shard, and to the run (to its replay_counts while a replay holds it), whose lease the shards keep alive
-- between them. Returns false, touching nothing, when the lease is no longer p_lease's owner's (another invocation
-- took the work over): the caller stops acting.
create or replace function public.curator_touch_lease(
  p_lease jsonb,
  p_now timestamptz,
  p_cursor text default null,
  p_counts jsonb default null
) returns boolean
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_run_id uuid := (p_lease->>'run_id')::uuid;
  v_shard integer := (p_lease->>'shard')::integer;
  v_owner text := p_lease->>'owner';
  v_until timestamptz := p_now + make_interval(secs => (p_lease->>'lease_seconds')::integer);
  v_counts jsonb := coalesce(p_counts, '{}'::jsonb);
begin
  if v_shard is not null then
    update public.pipeline_run_shards
    set lease_expires_at = greatest(lease_expires_at, v_until),
        cursor = coalesce(p_cursor, cursor),
        candidates = candidates + coalesce((v_counts->>'candidates')::integer, 0),
        executed = executed + coalesce((v_counts->>'executed')::integer, 0),
        skipped = skipped + coalesce((v_counts->>'skipped')::integer, 0),
        vetoed = vetoed + coalesce((v_counts->>'vetoed')::integer, 0),
        failed = failed + coalesce((v_counts->>'failed')::integer, 0),
        escalated = escalated + coalesce((v_counts->>'escalated')::integer, 0),
        updated_at = p_now
    where run_id = v_run_id and shard = v_shard and lease_owner = v_owner and status = 'running';
    if not found then
      return false;
    end if;
  end if;
  update public.pipeline_runs
  set lease_expires_at = greatest(lease_expires_at, v_until),
      cursor = case when v_shard is null and p_cursor is not null then jsonb_build_object('after', p_cursor) else cursor end,
      candidates = candidates + case when replay_attempt_id is null then coalesce((v_counts->>'candidates')::integer, 0) else 0 end,
      executed = executed + case when replay_attempt_id is null then coalesce((v_counts->>'executed')::integer, 0) else 0 end,
      skipped = skipped + case when replay_attempt_id is null then coalesce((v_counts->>'skipped')::integer, 0) else 0 end,
      vetoed = vetoed + case when replay_attempt_id is null then coalesce((v_counts->>'vetoed')::integer, 0) else 0 end,
      held = held + case when replay_attempt_id is null then coalesce((v_counts->>'held')::integer, 0) else 0 end,
      failed = failed + case when replay_attempt_id is null then coalesce((v_counts->>'failed')::integer, 0) else 0 end,
      escalated = escalated + case when replay_attempt_id is null then coalesce((v_counts->>'escalated')::integer, 0) else 0 end,
      replay_counts = case when replay_attempt_id is null or p_counts is null then replay_counts
                           else public.curator_add_counts(replay_counts, v_counts) end,
      updated_at = p_now
  where id = v_run_id and status = 'running' and (v_shard is not null or lease_owner = v_owner);
  return found;
end;
$$;
