-- `ops settle <batch> --sent|--failed`: on-call settles by hand the emails of unknown outcome of one request batch,
-- when SendGrid's events cannot (the webhook was down past SendGrid's retries, Processed was off) and SendGrid's
-- activity feed says what happened. sent: its unknown executions become succeeded, their email rows sent. failed:
-- they become failed ("SendGrid never received it (settled by hand)", so evidence that comes after all is counted as
-- late evidence and settles them sent) for the replay of failed outcomes ops queues next, or, for a scheduled
-- pipeline's batch recorded before its latest firing (p_superseded_before), skipped: superseded, not sent late. One
-- settle_emails row in human_overrides, in the same transaction. Answers { outcome: settled | not_found |
-- nothing_unknown, batch, pipeline_type, emails, superseded, from, to, override_id }.
create or replace function public.curator_settle_batch(
  p_batch uuid,
  p_outcome text,
  p_actor text,
  p_reason text,
  p_ticket text,
  p_now timestamptz,
  p_superseded_before jsonb default '{}'::jsonb
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_batch public.pipeline_request_batches;
  v_type text;
  v_emails integer;
  v_from timestamptz;
  v_to timestamptz;
  v_superseded boolean;
  v_override uuid;
begin
  if p_outcome not in ('sent', 'failed') then
    raise exception 'p_outcome must be sent or failed, got %', p_outcome using errcode = '22023';
  end if;
  select * into v_batch from public.pipeline_request_batches b where b.id = p_batch for update;
  if not found then return jsonb_build_object('outcome', 'not_found', 'batch', p_batch); end if;
  select min(e.pipeline_type), count(*)::integer, min(e.created_at), max(e.created_at)
  into v_type, v_emails, v_from, v_to
  from public.pipeline_executions e
  where e.request_batch = p_batch and e.status = 'unknown'
    and exists (select 1 from public.email_delivery_log l where l.execution_id = e.id);
  if v_emails = 0 then return jsonb_build_object('outcome', 'nothing_unknown', 'batch', p_batch); end if;
  v_superseded := p_outcome = 'failed' and coalesce(v_batch.created_at < (p_superseded_before ->> v_type)::timestamptz, false);

  with settled as (
    update public.pipeline_executions e
    set status = case when p_outcome = 'sent' then 'succeeded' when v_superseded then 'skipped' else 'failed' end,
        error = case when p_outcome = 'sent' then null
                     else 'SendGrid never received it (settled by hand' ||
                          case when v_superseded then '; superseded by the pipeline''s next firing, not sent late' else '' end || ')' end,
        completed_at = p_now, updated_at = p_now
    where e.request_batch = p_batch and e.status = 'unknown'
      and exists (select 1 from public.email_delivery_log l where l.execution_id = e.id)
    returning e.id
  )
  update public.email_delivery_log l
  set status = case when p_outcome = 'sent' then 'sent' else 'failed' end,
      sent_at = case when p_outcome = 'sent' then coalesce(l.sent_at, v_batch.created_at) else l.sent_at end,
      error = case when p_outcome = 'sent' then null else 'SendGrid never received it (settled by hand)' end,
      updated_at = p_now
  from settled s
  where l.execution_id = s.id and l.status = 'queued';

  if p_outcome = 'failed' then
    update public.pipeline_request_batches b set settled_failed_at = p_now, settled_failed_emails = v_emails where b.id = p_batch;
  end if;
  insert into public.human_overrides (pipeline_type, override_type, actor, reason, ticket, details, occurred_at)
  values (v_type, 'settle_emails', p_actor, p_reason, p_ticket,
          jsonb_build_object('batch', p_batch, 'outcome', p_outcome, 'emails', v_emails, 'superseded', v_superseded), p_now)
  returning id into v_override;
  return jsonb_build_object('outcome', 'settled', 'batch', p_batch, 'pipeline_type', v_type, 'emails', v_emails,
                            'superseded', v_superseded, 'from', v_from, 'to', v_to, 'override_id', v_override);
end;
$$;
