-- One run in full, for `ops run`: by its id, or by job and period (the newest run of the job without a period).
-- The run's row; its attempts in order (the timeline: firing, redeliveries, continuations, shards, replays, each
-- with its summary); its shards; its decisions by status and veto reason; how many are still pending; and the
-- last dry runs of its job and period. Null when there is no such run.
create or replace function public.curator_run(
  p_run_id uuid,
  p_job_type text,
  p_period_key text
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  with run as (
    select r.* from public.pipeline_runs r
    where (p_run_id is not null and r.id = p_run_id)
       or (p_run_id is null and r.job_type = p_job_type and (p_period_key is null or r.period_key = p_period_key))
    order by r.started_at desc
    limit 1
  )
  select case when not exists (select 1 from run) then null else (
    select jsonb_build_object(
      'run', to_jsonb(r),
      'attempts', coalesce((select jsonb_agg(to_jsonb(a) order by a.started_at, a.shard nulls first)
                            from public.pipeline_run_attempts a where a.run_id = r.id), '[]'::jsonb),
      'shards', coalesce((select jsonb_agg(jsonb_build_object(
                            'shard', s.shard, 'status', s.status, 'attempt', s.attempt, 'candidates', s.candidates,
                            'executed', s.executed, 'vetoed', s.vetoed, 'failed', s.failed, 'error', s.error) order by s.shard)
                          from public.pipeline_run_shards s where s.run_id = r.id), '[]'::jsonb),
      'outcomes', coalesce((select jsonb_agg(jsonb_build_object('status', o.status, 'veto_reason', o.veto_reason, 'n', o.n)
                                             order by o.n desc, o.status)
                            from (select e.status, e.veto_reason, count(*)::integer as n from public.pipeline_executions e
                                  where e.run_id = r.id group by e.status, e.veto_reason) o), '[]'::jsonb),
      'pending', (select count(*)::integer from public.pipeline_executions e where e.run_id = r.id and e.status = 'pending'),
      'dry_runs', coalesce((select jsonb_agg(to_jsonb(d) order by d.requested_at desc)
                            from (select * from public.dry_run_reports d
                                  where d.job_type = r.job_type and d.period_key = r.period_key
                                  order by d.requested_at desc limit 5) d), '[]'::jsonb))
    from run r) end;
$$;
