-- Settles by evidence, never by guess, the emails of p_pipelines whose outcome is unknown and whose request batch has
-- no evidence (no SendGrid event of any of its messages), by the rule curator_unknown_emails judges: a batch past the
-- grace window, with later requests' Processed events and a clean webhook since, is settled failed ("SendGrid never
-- received it"): its executions become failed (a replay of failed outcomes redoes them) and its email rows failed;
-- but a scheduled pipeline's batch recorded before its latest firing (p_superseded_before: pipeline_type -> that
-- firing's time) is superseded by it: its executions are recorded skipped, never sent late. Every other such email
-- stays unknown: awaiting its evidence within the grace window, in doubt past it (with why). Answers { failed,
-- failed_batches: [{ batch, pipeline_type, emails, from, to }], superseded, settled (executions), awaiting, in_doubt,
-- in_doubt_by_reason }.
create or replace function public.curator_settle_unknown_emails(
  p_pipelines text[],
  p_now timestamptz,
  p_grace_seconds integer,
  p_later_seconds integer,
  p_webhook_clean_since timestamptz default null,
  p_superseded_before jsonb default '{}'::jsonb
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_result jsonb;
begin
  with judged as (
    select j.batch, j.recorded_at as created_at, j.pipeline_type, j.emails, j.from_at, j.to_at,
           j.past_grace, j.later_processed, j.webhook_clean
    from public.curator_unknown_emails(p_pipelines, p_now, p_grace_seconds, p_later_seconds, p_webhook_clean_since) j
  ), failing as (
    select j.*, coalesce(j.created_at < (p_superseded_before ->> j.pipeline_type)::timestamptz, false) as superseded
    from judged j where past_grace and later_processed and webhook_clean
  ), marked as (
    -- Marking the batch first makes two settlements at once (the webhook's and the health job's) settle and replay it
    -- once: the second waits on the row, finds it marked, and leaves it.
    update public.pipeline_request_batches b set settled_failed_at = p_now, settled_failed_emails = f.emails
    from failing f where b.id = f.batch and b.settled_failed_at is null
    returning b.id
  ), settling as (
    select f.* from failing f join marked m on m.id = f.batch
  ), failed as (
    update public.pipeline_executions e
    set status = case when f.superseded then 'skipped' else 'failed' end,
        error = 'SendGrid never received it: no event of its request by ' || (p_grace_seconds / 60) ||
                ' minutes, later requests'' Processed events arrived and the webhook answered every delivery' ||
                case when f.superseded then '; superseded by the pipeline''s next firing, not sent late' else '' end,
        completed_at = p_now, updated_at = p_now
    from settling f
    where e.request_batch = f.batch and e.status = 'unknown'
    returning e.id
  ), failed_emails as (
    update public.email_delivery_log l
    set status = 'failed', error = 'SendGrid never received it', updated_at = p_now
    from failed x
    where l.execution_id = x.id and l.status = 'queued'
    returning 1
  )
  select jsonb_build_object(
    'failed', coalesce((select sum(f.emails) from settling f where not f.superseded), 0),
    'failed_batches', coalesce((select jsonb_agg(jsonb_build_object('batch', f.batch, 'pipeline_type', f.pipeline_type, 'emails', f.emails,
                                                                    'from', f.from_at, 'to', f.to_at) order by f.created_at)
                                from settling f where not f.superseded), '[]'::jsonb),
    'superseded', coalesce((select sum(f.emails) from settling f where f.superseded), 0),
    'settled', (select count(*) from failed),
    'awaiting', coalesce((select sum(j.emails) from judged j where not j.past_grace), 0),
    'in_doubt', coalesce((select sum(j.emails) from judged j where j.past_grace and not (j.later_processed and j.webhook_clean)), 0),
    'in_doubt_by_reason', jsonb_build_object(
      'no later Processed events', coalesce((select sum(j.emails) from judged j where j.past_grace and not j.later_processed), 0),
      'the webhook failed since', coalesce((select sum(j.emails) from judged j where j.past_grace and j.later_processed and not j.webhook_clean), 0)))
  into v_result;
  return v_result;
end;
$$;
