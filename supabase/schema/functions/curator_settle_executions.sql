-- Settles pending executions nobody will finish (their invocation failed, or died): `succeeded` when SendGrid has
-- already given evidence for their request batch (an event of one of its messages); `unknown` when the batch was
-- recorded without evidence yet (the request may have left: an email is not sent again, a credit is looked up by its
-- ledger id before it is made again); else `failed` with p_reason, their queued email row removed and their unpaid
-- ledger row failed, so the next walk or replay redoes them. Only pending rows change. Returns how many did.
create or replace function public.curator_settle_executions(
  p_ids uuid[],
  p_now timestamptz,
  p_reason text
) returns integer
language sql
volatile
set search_path = public, pg_temp
as $$
  with pending as (
    select e.id, b.id is not null as may_have_left, b.evidence_at
    from public.pipeline_executions e
    left join public.pipeline_request_batches b on b.id = e.request_batch
    where e.id = any(p_ids) and e.status = 'pending'
  ), settled as (
    update public.pipeline_executions e
    set status = case when p.evidence_at is not null then 'succeeded' when p.may_have_left then 'unknown' else 'failed' end,
        error = case when p.evidence_at is not null then null
                     when p.may_have_left then coalesce(e.error, p_reason || '; its request may have left')
                     else p_reason || '; nothing was sent' end,
        completed_at = case when p.may_have_left and p.evidence_at is null then null else p_now end,
        updated_at = p_now
    from pending p
    where e.id = p.id
    returning e.id, e.status, p.evidence_at
  ), sent_emails as (
    update public.email_delivery_log l
    set status = 'sent', sent_at = coalesce(l.sent_at, s.evidence_at), updated_at = p_now
    from settled s
    where l.execution_id = s.id and s.status = 'succeeded' and l.status = 'queued'
    returning 1
  ), unsent_emails as (
    delete from public.email_delivery_log l
    using settled s
    where l.execution_id = s.id and s.status = 'failed' and l.status = 'queued'
    returning 1
  ), unsent_credits as (
    update public.reward_ledger l
    set status = 'failed', error_message = p_reason || '; not sent', updated_at = p_now
    from settled s
    where l.execution_id = s.id and s.status = 'failed' and l.status = 'pending' and l.stripe_balance_transaction_id is null
    returning 1
  )
  select count(*)::integer from settled;
$$;
