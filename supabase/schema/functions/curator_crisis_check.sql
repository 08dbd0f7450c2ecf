-- The delayed check of a crisis alert, two minutes after a claim of it (queued on the work queue with SQS
-- DelaySeconds 120 when it is claimed): the case where no redelivery comes. Under the execution's row lock:
--   confirmed   it succeeded, or SendGrid has an event of its request (then an unknown or pending one is settled sent);
--   settled     it ended otherwise (vetoed, skipped, escalated, failed): nothing to do;
--   early       its latest claim is under p_after_seconds old: that claim's own check judges it (answers when);
--   resend      no evidence, and it may be sent again: its request never left, or it has not had its one unconfirmed
--               resend (taken now). It is recorded failed, so a replay of the signal retakes it;
--   escalate    no evidence after its one unconfirmed resend: recorded escalated for a human (CrisisEscalations).
-- Answers { state, check_at (when its latest claim's check is due), target (the execution as a replay reads it,
-- before this check changed it) }.
create or replace function public.curator_crisis_check(
  p_execution uuid,
  p_now timestamptz,
  p_after_seconds integer
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_execution public.pipeline_executions;
  v_marked boolean;
  v_evidence timestamptz;
  v_state text;
begin
  select * into v_execution from public.pipeline_executions e where e.id = p_execution for update;
  if not found then return jsonb_build_object('state', 'not_found', 'execution_id', p_execution); end if;
  select true, b.evidence_at into v_marked, v_evidence from public.pipeline_request_batches b where b.id = v_execution.request_batch;
  v_marked := coalesce(v_marked, false);

  if v_execution.status = 'succeeded' then
    v_state := 'confirmed';
  elsif v_execution.status not in ('pending', 'unknown') then
    v_state := 'settled';
  elsif v_evidence is not null then
    update public.pipeline_executions set status = 'succeeded', error = null, completed_at = p_now, updated_at = p_now where id = p_execution;
    update public.email_delivery_log set status = 'sent', sent_at = coalesce(sent_at, v_evidence), error = null, updated_at = p_now
    where execution_id = p_execution and status in ('queued', 'failed');
    v_state := 'confirmed';
  elsif v_execution.started_at > p_now - make_interval(secs => p_after_seconds) then
    v_state := 'early';
  elsif not v_marked or v_execution.unconfirmed_resends < 1 then
    update public.pipeline_executions
    set status = 'failed', completed_at = p_now, updated_at = p_now,
        unconfirmed_resends = unconfirmed_resends + case when v_marked then 1 else 0 end,
        error = case when v_marked then 'rechecked: no SendGrid event of its request since its claim; sent once more'
                     else 'rechecked: its request never left; sent again' end
    where id = p_execution;
    update public.email_delivery_log set status = 'failed', error = 'rechecked: resent', updated_at = p_now
    where execution_id = p_execution and status = 'queued';
    v_state := 'resend';
  else
    update public.pipeline_executions
    set status = 'escalated', completed_at = p_now, updated_at = p_now,
        error = 'no SendGrid event of its request after its one resend: a human must reach the family'
    where id = p_execution;
    v_state := 'escalate';
  end if;
  return jsonb_build_object(
    'state', v_state,
    'check_at', v_execution.started_at + make_interval(secs => p_after_seconds),
    'target', jsonb_build_object(
      'id', v_execution.id, 'created_at', v_execution.created_at, 'period_key', v_execution.period_key,
      'subject_key', v_execution.subject_key, 'user_id', v_execution.user_id, 'status', v_execution.status,
      'veto_reason', v_execution.veto_reason, 'trigger_data', v_execution.trigger_data,
      'confidence_score', v_execution.confidence_score, 'signal_count', v_execution.signal_count));
end;
$$;
