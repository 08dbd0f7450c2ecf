-- Takes shard p_shard of the run's attempt p_generation. A shard already leased and alive is left alone (the same
-- message delivered twice), a finished one too. A shard whose invocation died (lease expired) or failed is taken
-- over from its cursor, its pending actions settled first (curator_settle_executions). A failed shard retried by the
-- queue brings the run it failed back to running; a run that failed otherwise (its shards could not all be queued)
-- is left to a replay. Attempts of an older split answer superseded.
create or replace function public.curator_acquire_shard(
  p_run_id uuid,
  p_shard integer,
  p_generation integer,
  p_owner text,
  p_lease_seconds integer,
  p_now timestamptz
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_run public.pipeline_runs;
  v_shard public.pipeline_run_shards;
  v_attempt uuid;
begin
  select * into v_run from public.pipeline_runs where id = p_run_id for update;
  if not found or v_run.attempt <> p_generation then
    return jsonb_build_object('acquired', false, 'reason', 'superseded');
  end if;
  select * into v_shard from public.pipeline_run_shards where run_id = p_run_id and shard = p_shard for update;
  if not found or v_shard.generation <> p_generation then
    return jsonb_build_object('acquired', false, 'reason', 'superseded');
  end if;
  if v_shard.status = 'succeeded' then
    return jsonb_build_object('acquired', false, 'reason', 'completed', 'shard', to_jsonb(v_shard));
  end if;
  if not (v_run.status = 'running' or (v_run.status = 'failed' and v_shard.status = 'failed')) then
    return jsonb_build_object('acquired', false, 'reason', 'run_' || v_run.status, 'shard', to_jsonb(v_shard));
  end if;
  if v_shard.status = 'running' and v_shard.lease_owner is distinct from 'continuation' and v_shard.lease_expires_at >= p_now then
    return jsonb_build_object('acquired', false, 'reason', 'in_progress', 'shard', to_jsonb(v_shard));
  end if;

  if v_shard.status = 'failed' or (v_shard.status = 'running' and v_shard.lease_owner is distinct from 'continuation') then
    perform public.curator_settle_executions(
      public.curator_pending_in_range(p_run_id, v_shard.after_key, v_shard.through_key),
      p_now, 'the shard stopped before this outcome was recorded');
  end if;
  if v_run.status = 'failed' then
    update public.pipeline_runs
    set status = 'running', lease_owner = 'shards', lease_expires_at = p_now + make_interval(secs => p_lease_seconds),
        completed_at = null, error = null, updated_at = p_now
    where id = p_run_id;
  end if;
  update public.pipeline_run_shards
  set status = 'running', lease_owner = p_owner, lease_expires_at = p_now + make_interval(secs => p_lease_seconds),
      attempt = attempt + 1, started_at = coalesce(started_at, p_now), completed_at = null, error = null, updated_at = p_now
  where run_id = p_run_id and shard = p_shard
  returning * into v_shard;
  insert into public.pipeline_run_attempts (run_id, shard, kind, request_id, started_at)
  values (p_run_id, p_shard, 'shard', p_owner, p_now)
  returning id into v_attempt;
  return jsonb_build_object('acquired', true, 'shard', to_jsonb(v_shard), 'attempt_id', v_attempt);
end;
$$;
