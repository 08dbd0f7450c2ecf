-- One run in full, for `ops run`: by its id, or by job and period (the newest run of the job without a period).
-- The run's row (what its firing did; a replay that took it over counts apart in replay_counts); its attempts in
-- order (the timeline: firing, redeliveries, continuations, shards, replays, each with its summary); its shards;
-- the period's decisions by status and veto reason as they stand now, wherever they were last decided (the run, or
-- a replay of held actions that re-decided some of them); each such replay of held actions with what it decided of
-- this period; how many are still pending; and the last dry runs of its job and period. Null when there is no
-- such run.
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
  ),
  -- Replays of held actions run under keys of their own (replay:<reason>:<from>/<to>) and take the executions they
  -- re-decide with them: found among the job's replay runs since the period's firing, by the period's executions.
  held_replays as (
    select h.* from public.pipeline_runs h, run r
    where r.period_key not like 'replay:%' and h.job_type = r.job_type and h.period_key like 'replay:%'
      and h.started_at >= coalesce(r.scheduled_for, r.started_at)
      and exists (select 1 from public.pipeline_executions e where e.run_id = h.id and e.period_key = r.period_key)
  ),
  decided as (
    select e.* from public.pipeline_executions e, run r
    where e.run_id = r.id or (e.run_id in (select id from held_replays) and e.period_key = r.period_key)
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
                            from (select d.status, d.veto_reason, count(*)::integer as n from decided d
                                  group by d.status, d.veto_reason) o), '[]'::jsonb),
      'held_replays', coalesce((select jsonb_agg(jsonb_build_object(
                                  'run_id', h.id, 'period_key', h.period_key, 'status', h.status, 'started_at', h.started_at,
                                  'completed_at', h.completed_at, 'event_id', h.event_id,
                                  'outcomes', (select coalesce(jsonb_object_agg(o.outcome, o.n), '{}'::jsonb)
                                               from (select d.status || coalesce(' ' || d.veto_reason, '') as outcome, count(*)::integer as n
                                                     from decided d where d.run_id = h.id group by 1) o))
                                  order by h.started_at)
                                from held_replays h), '[]'::jsonb),
      'pending', (select count(*)::integer from decided d where d.status = 'pending'),
      'dry_runs', coalesce((select jsonb_agg(to_jsonb(d) order by d.requested_at desc)
                            from (select * from public.dry_run_reports d
                                  where d.job_type = r.job_type and d.period_key = r.period_key
                                  order by d.requested_at desc limit 5) d), '[]'::jsonb))
    from run r) end;
$$;
