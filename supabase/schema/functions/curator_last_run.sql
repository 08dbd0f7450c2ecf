-- The real run a dry run of p_period_key is shown beside, with its decisions by outcome and veto reason: the last
-- finished run of that period, or, when that period never ran, the last finished run of the job's latest earlier
-- period (same_period false, so ops can say which it is). Null when the job has never run before it.
create or replace function public.curator_last_run(p_job_type text, p_period_key text)
returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  with same as (
    select r.*, true as same_period from public.pipeline_runs r
    where r.job_type = p_job_type and r.period_key = p_period_key and r.status in ('succeeded', 'failed')
    order by r.completed_at desc
    limit 1
  ), earlier as (
    select r.*, false as same_period from public.pipeline_runs r
    where r.job_type = p_job_type and r.period_key < p_period_key and r.period_key not like 'replay:%'
      and r.status in ('succeeded', 'failed') and not exists (select 1 from same)
    order by r.period_key desc, r.completed_at desc
    limit 1
  ), last_run as (
    select * from same union all select * from earlier
  )
  select case when not exists (select 1 from last_run) then null else (
    select to_jsonb(r) || jsonb_build_object(
      'veto_reasons', coalesce((
        select jsonb_object_agg(v.veto_reason, v.n)
        from (select e.veto_reason, count(*) as n from public.pipeline_executions e
              where e.run_id = r.id and e.vetoed group by e.veto_reason) v), '{}'::jsonb))
    from last_run r) end;
$$;
