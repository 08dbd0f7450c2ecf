-- Keeps a dry run's report (what it would have done, beside the last real run of its job) and answers its id.
create or replace function public.curator_record_dry_run(
  p_job_type text,
  p_period_key text,
  p_event_id text,
  p_request_id text,
  p_report jsonb,
  p_now timestamptz
) returns jsonb
language sql
volatile
set search_path = public, pg_temp
as $$
  insert into public.dry_run_reports (job_type, period_key, event_id, request_id, report, requested_at)
  values (p_job_type, p_period_key, p_event_id, p_request_id, p_report, p_now)
  returning jsonb_build_object('id', id);
$$;
