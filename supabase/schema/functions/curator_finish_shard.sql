-- Ends a shard as succeeded or failed; a failed shard's pending actions are settled first. The run's row is locked
-- first, so of two shards finishing at once the second sees the first: the last shard to finish completes the run,
-- failed if any shard failed, naming it. Returns the completed run, or run = null while shards remain; held = false
-- when the shard is no longer p_owner's.
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
      lease_owner = null, lease_expires_at = null, updated_at = p_now,
      completed_at = case when replay_attempt_id is null then p_now else coalesce(completed_at, p_now) end,
      error = case when v_failed > 0 then format('%s of %s shards failed; %s', v_failed, shards, v_error) end
  where id = p_run_id and status = 'running'
  returning * into v_run;
  return jsonb_build_object('held', true, 'run', case when found then to_jsonb(v_run) end);
end;
$$;
