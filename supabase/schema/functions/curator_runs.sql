-- The runs started since p_since (of one job, or all), newest first, for `ops runs`: status, period, counts (the
-- firing's), progress (candidates decided of the population, when it is known), how often the run continued in a
-- new invocation, its shards (done of all), duration and error, and beside them how often the period was replayed
-- and what the last replay decided (replay_counts).
create or replace function public.curator_runs(
  p_job_type text,
  p_since timestamptz,
  p_limit integer
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  select coalesce(jsonb_agg(to_jsonb(x) order by x.started_at desc), '[]'::jsonb)
  from (
    select r.id, r.job_type, r.period_key, r.trigger, r.status, r.attempt, r.candidates, r.executed, r.skipped,
           r.vetoed, r.held, r.failed, r.escalated, r.shards, r.population, r.started_at, r.completed_at, r.lease_owner,
           r.lease_expires_at, r.error, r.replay_attempt_id, r.replay_counts,
           (select count(*)::integer from public.pipeline_run_attempts a where a.run_id = r.id and a.kind = 'replay') as replays,
           (select count(*)::integer from public.pipeline_run_attempts a where a.run_id = r.id and a.kind = 'continuation') as continuations,
           (select count(*)::integer from public.pipeline_run_shards s where s.run_id = r.id and s.status = 'succeeded') as shards_done
    from public.pipeline_runs r
    where (p_job_type is null or r.job_type = p_job_type) and r.started_at >= p_since
    order by r.started_at desc
    limit p_limit
  ) x;
$$;
