-- How many emails a period of a pipeline has claimed so far (pending, sent or of unknown outcome): its firing's and
-- its quiet-hours releases', for the emails-per-run ceiling a release shares with its firing. Its executions were all
-- created at or after p_since (the firing), which keeps the count to them along pipeline_executions_type_created.
create or replace function public.curator_period_emails(
  p_job_type text,
  p_period_key text,
  p_since timestamptz
) returns integer
language sql
stable
set search_path = public, pg_temp
as $$
  select count(*)::integer
  from public.pipeline_executions e
  where e.pipeline_type = p_job_type and e.created_at >= p_since
    and e.period_key = p_period_key and e.status in ('pending', 'succeeded', 'unknown');
$$;
