-- Settles the emails whose outcome was unknown (a crash or a timeout after their request was recorded) in the request
-- batches of p_batches that SendGrid has given evidence for: any event of any of a batch's messages proves the whole
-- request was accepted, so its unknown executions become succeeded and their queued email rows sent. So do the ones
-- settled failed (or superseded) for want of evidence that then came (late evidence), unless a replay has redone
-- them already.
-- Never resends, never fails anything. Answers how many executions it settled.
create or replace function public.curator_settle_by_evidence(
  p_batches uuid[],
  p_now timestamptz
) returns integer
language sql
volatile
set search_path = public, pg_temp
as $$
  with evidenced as (
    select b.id, b.evidence_at from public.pipeline_request_batches b
    where b.id = any(p_batches) and b.evidence_at is not null
  ), settled as (
    update public.pipeline_executions e
    set status = 'succeeded', error = null, completed_at = p_now, updated_at = p_now
    from evidenced b
    where e.request_batch = b.id
      and (e.status = 'unknown' or (e.status in ('failed', 'skipped') and e.error like 'SendGrid never received it%'))
    returning e.id, b.evidence_at
  ), sent as (
    update public.email_delivery_log l
    set status = 'sent', sent_at = coalesce(l.sent_at, s.evidence_at), error = null, updated_at = p_now
    from settled s
    where l.execution_id = s.id and l.status in ('queued', 'failed')
    returning 1
  )
  select count(*)::integer from settled;
$$;
