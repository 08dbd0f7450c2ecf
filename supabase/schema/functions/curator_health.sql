-- The health job's view of the runs: how many are running, stuck (marked, or running past their lease),
-- succeeded and failed among those started since p_since, the success rate of the finished ones, which of
-- the expected scheduled runs (p_expected: [{ job_type, period_key }], computed from the catalog) never started,
-- and, with p_summary_date, the status of that day's morning ops summary (null: never claimed).
create or replace function public.curator_health(
  p_now timestamptz,
  p_since timestamptz,
  p_expected jsonb,
  p_summary_date text default null
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  with recent as (
    select
      case when status = 'running' and lease_expires_at < p_now then 'stuck' else status end as state
    from public.pipeline_runs
    where started_at >= p_since or status in ('running', 'stuck')
  ), tally as (
    select count(*) filter (where state = 'running')   as running,
           count(*) filter (where state = 'stuck')     as stuck,
           count(*) filter (where state = 'succeeded') as succeeded,
           count(*) filter (where state = 'failed')    as failed
    from recent
  ), expected as (
    select * from jsonb_to_recordset(coalesce(p_expected, '[]'::jsonb)) as x(job_type text, period_key text)
  )
  select jsonb_build_object(
    'running', t.running, 'stuck', t.stuck, 'succeeded', t.succeeded, 'failed', t.failed,
    'success_rate', case when t.succeeded + t.failed = 0 then null
                         else round(t.succeeded::numeric / (t.succeeded + t.failed), 4) end,
    'missing', coalesce((
      select jsonb_agg(jsonb_build_object('job_type', x.job_type, 'period_key', x.period_key) order by x.job_type)
      from expected x
      where not exists (select 1 from public.pipeline_runs r where r.job_type = x.job_type and r.period_key = x.period_key)
    ), '[]'::jsonb),
    'ops_summary', (select o.status from public.ops_summaries o where o.summary_date = p_summary_date::date))
  from tally t;
$$;
