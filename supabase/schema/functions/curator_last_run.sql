-- The last finished run of a job with its decisions by outcome and veto reason: what a dry run is shown beside.
create or replace function public.curator_last_run(p_job_type text)
returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  with last_run as (
    select * from public.pipeline_runs
    where job_type = p_job_type and status in ('succeeded', 'failed')
    order by completed_at desc
    limit 1
  )
  select case when not exists (select 1 from last_run) then null else (
    select to_jsonb(r) || jsonb_build_object(
      'veto_reasons', coalesce((
        select jsonb_object_agg(v.veto_reason, v.n)
        from (select e.veto_reason, count(*) as n from public.pipeline_executions e
              where e.run_id = r.id and e.vetoed group by e.veto_reason) v), '{}'::jsonb))
    from last_run r) end;
$$;
