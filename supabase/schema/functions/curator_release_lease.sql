-- Hands a run, or one shard of a run, on to its continuation, saving the cursor it reached (a run keeps it as
-- { after }, a shard as text): the next delivery takes it over at once. If the continuation never comes, the lease
-- runs out after p_grace_seconds and the health job resumes it. p_lease: { run_id, shard, owner, lease_seconds },
-- shard null for a whole run. Returns false when the lease was no longer p_lease's owner's.
create or replace function public.curator_release_lease(
  p_lease jsonb,
  p_grace_seconds integer,
  p_now timestamptz,
  p_cursor text default null
) returns boolean
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_run_id uuid := (p_lease->>'run_id')::uuid;
  v_shard integer := (p_lease->>'shard')::integer;
  v_until timestamptz := p_now + make_interval(secs => p_grace_seconds);
begin
  if v_shard is null then
    update public.pipeline_runs
    set lease_owner = 'continuation', lease_expires_at = v_until,
        cursor = case when p_cursor is null then cursor else jsonb_build_object('after', p_cursor) end, updated_at = p_now
    where id = v_run_id and lease_owner = p_lease->>'owner' and status = 'running';
  else
    update public.pipeline_run_shards
    set lease_owner = 'continuation', lease_expires_at = v_until, cursor = coalesce(p_cursor, cursor), updated_at = p_now
    where run_id = v_run_id and shard = v_shard and lease_owner = p_lease->>'owner' and status = 'running';
  end if;
  return found;
end;
$$;
