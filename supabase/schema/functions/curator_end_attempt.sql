-- Ends one attempt on a run (pipeline_run_attempts): how it came out, why when it was skipped, its summary (counts by
-- outcome and veto reason, emails, credits, duration) and its error. An attempt already ended keeps what it said.
create or replace function public.curator_end_attempt(
  p_attempt_id uuid,
  p_outcome text,
  p_reason text,
  p_summary jsonb,
  p_error text,
  p_now timestamptz
) returns jsonb
language sql
volatile
set search_path = public, pg_temp
as $$
  with ended as (
    update public.pipeline_run_attempts
    set outcome = p_outcome, reason = coalesce(p_reason, reason), summary = coalesce(p_summary, summary),
        error = p_error, finished_at = p_now
    where id = p_attempt_id and (outcome = 'running' or (outcome = 'skipped' and p_outcome = 'skipped'))
    returning 1
  )
  select jsonb_build_object('ended', exists (select 1 from ended));
$$;
