-- Data retention: moves up to p_batch_size rows of each of email_delivery_log and pipeline_executions created
-- before p_before into their archive tables, oldest first, and returns how many of each moved. Rows of a user
-- under an active legal hold stay; an execution still referenced by a live email row waits for that row.
-- Call it until both counts are zero. SKIP LOCKED lets two runs share the work without blocking.
create or replace function public.archive_expired_records(
  p_before timestamptz,
  p_batch_size integer
) returns table (executions_archived integer, emails_archived integer)
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_emails integer;
  v_executions integer;
begin
  if p_before is null then
    raise exception 'archive_expired_records: p_before is required';
  end if;
  if p_batch_size is null or p_batch_size < 1 then
    raise exception 'archive_expired_records: p_batch_size must be a positive integer, got %', p_batch_size;
  end if;

  with doomed as (
    select l.id
    from public.email_delivery_log l
    where l.created_at < p_before
      and not exists (select 1 from public.legal_holds h where h.user_id = l.user_id and h.released_at is null)
    order by l.created_at
    limit p_batch_size
    for update skip locked
  ), moved as (
    delete from public.email_delivery_log l using doomed where l.id = doomed.id
    returning l.*
  )
  insert into public.email_delivery_log_archive (
    id, execution_id, user_id, email_type, template_id, status, provider_message_id, attempts, error,
    queued_at, sent_at, last_event_at, delivered_at, opened_at, clicked_at, bounced_at, unsubscribed_at,
    spam_reported_at, created_at, updated_at)
  select id, execution_id, user_id, email_type, template_id, status, provider_message_id, attempts, error,
         queued_at, sent_at, last_event_at, delivered_at, opened_at, clicked_at, bounced_at, unsubscribed_at,
         spam_reported_at, created_at, updated_at
  from moved;
  get diagnostics v_emails = row_count;

  with doomed as (
    select e.id
    from public.pipeline_executions e
    where e.created_at < p_before
      and (e.user_id is null
           or not exists (select 1 from public.legal_holds h where h.user_id = e.user_id and h.released_at is null))
      and not exists (select 1 from public.email_delivery_log l where l.execution_id = e.id)
    order by e.created_at
    limit p_batch_size
    for update skip locked
  ), moved as (
    delete from public.pipeline_executions e using doomed where e.id = doomed.id
    returning e.*
  )
  insert into public.pipeline_executions_archive (
    id, run_id, pipeline_type, pipeline_name, subject_key, period_key, user_id, status, vetoed, veto_reason, held_until,
    confidence_score, signal_count, trigger_data, attempts, error, started_at, completed_at, created_at, updated_at)
  select id, run_id, pipeline_type, pipeline_name, subject_key, period_key, user_id, status, vetoed, veto_reason, held_until,
         confidence_score, signal_count, trigger_data, attempts, error, started_at, completed_at, created_at, updated_at
  from moved;
  get diagnostics v_executions = row_count;

  return query select v_executions, v_emails;
end;
$$;
