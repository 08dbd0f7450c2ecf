-- The existing decision of each subject of a page, for one pipeline and period.
create or replace function public.curator_existing_executions(
  p_job_type text,
  p_period_key text,
  p_subjects text[]
) returns table (subject_key text, id uuid, status text, veto_reason text)
language sql
stable
set search_path = public, pg_temp
as $$
  select e.subject_key, e.id, e.status, e.veto_reason
  from public.pipeline_executions e
  where e.pipeline_type = p_job_type and e.period_key = p_period_key and e.subject_key = any(p_subjects);
$$;
