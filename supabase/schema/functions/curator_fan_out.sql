-- Splits the run p_owner holds into shards at p_bounds (from curator_digest_shard_bounds) and hands it to them: the
-- run's lease owner becomes 'shards', and each shard's invocation takes its own lease. Shards of an earlier attempt
-- are replaced (a replay of the period splits it again). Returns held = false when the run is not p_owner's.
create or replace function public.curator_fan_out(
  p_run_id uuid,
  p_owner text,
  p_lease_seconds integer,
  p_now timestamptz,
  p_population integer,
  p_shard_size integer,
  p_bounds jsonb
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_run public.pipeline_runs;
  v_shards integer := jsonb_array_length(p_bounds) + 1;
begin
  if v_shards < 2 or p_population < v_shards then
    raise exception 'curator_fan_out: % bounds cannot split a population of %', v_shards - 1, p_population;
  end if;
  update public.pipeline_runs
  set lease_owner = 'shards', lease_expires_at = p_now + make_interval(secs => p_lease_seconds),
      shards = v_shards, population = p_population, updated_at = p_now
  where id = p_run_id and lease_owner = p_owner and status = 'running'
  returning * into v_run;
  if not found then
    return jsonb_build_object('held', false);
  end if;

  delete from public.pipeline_run_shards where run_id = p_run_id;
  insert into public.pipeline_run_shards (run_id, shard, generation, after_key, through_key, share, cursor, updated_at)
  select p_run_id, b.i - 1, v_run.attempt, b.after_key, b.through_key,
         case when b.through_key is null then (p_population - (v_shards - 1) * p_shard_size)::float8 / p_population
              else p_shard_size::float8 / p_population end,
         b.after_key, p_now
  from (
    select k.i, lag(k.key) over (order by k.i) as after_key, k.key as through_key
    from (select key, i from jsonb_array_elements_text(p_bounds) with ordinality as e(key, i)
          union all select null, v_shards) k
  ) b;
  return jsonb_build_object('held', true, 'generation', v_run.attempt, 'shards', v_shards);
end;
$$;
