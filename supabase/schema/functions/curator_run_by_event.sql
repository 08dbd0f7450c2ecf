-- What became of the event an ops replay published (by its EventBridge event id), for `ops replay --wait`: the
-- attempts that carried it, the run the newest of them worked on (its continuations and shards come back on the work
-- queue without the id, so the run's status says when the whole replay is done), and the report when it was a dry run.
-- Empty lists and nulls until the curator has taken it.
create or replace function public.curator_run_by_event(p_event_id text)
returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  with attempts as (
    select a.* from public.pipeline_run_attempts a where a.event_id = p_event_id
  ), latest as (
    select a.run_id from attempts a order by a.started_at desc limit 1
  )
  select jsonb_build_object(
    'attempts', coalesce((select jsonb_agg(to_jsonb(a) order by a.started_at) from attempts a), '[]'::jsonb),
    'run', (select to_jsonb(r) from public.pipeline_runs r join latest l on l.run_id = r.id),
    'dry_run', (select to_jsonb(d) from public.dry_run_reports d where d.event_id = p_event_id order by d.requested_at desc limit 1));
$$;
