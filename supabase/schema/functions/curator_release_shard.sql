-- Hands a shard on to its continuation, as curator_release_run does for a run.
create or replace function public.curator_release_shard(
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
