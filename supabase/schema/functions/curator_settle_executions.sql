-- Settles pending executions nobody will finish (their invocation failed, or died): `unknown` when their request
-- batch was recorded (the request may have left: an email is not sent again, a credit is looked up by its ledger
-- id before it is made again), else `failed` with p_reason, their queued email row removed and their unpaid
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
    select e.id, exists (select 1 from public.pipeline_request_batches b where b.id = e.request_batch) as may_have_left
    from public.pipeline_executions e
    where e.id = any(p_ids) and e.status = 'pending'
  ), settled as (
    update public.pipeline_executions e
    set status = case when p.may_have_left then 'unknown' else 'failed' end,
        error = case when p.may_have_left then coalesce(e.error, p_reason || '; its request may have left')
                     else p_reason || '; nothing was sent' end,
        completed_at = case when p.may_have_left then null else p_now end,
        updated_at = p_now
    from pending p
    where e.id = p.id
    returning e.id, e.status
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
