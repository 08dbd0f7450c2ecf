-- Records what the providers answered for one page, and the page's progress, in one transaction (one round trip):
-- each execution's final status (a claim the kill switch stopped before its request is `vetoed`
-- KILL_SWITCH_ACTIVE, its queued email row removed, since no email exists), its email row (sent with the
-- provider's message id, failed with its error, queued when the outcome is unknown), its ledger row, the
-- referral's reward status and the expired credit an expiry closes. A status never moves back: only pending or
-- unknown executions and queued or failed email rows change. With p_progress ({ run_id, shard, owner,
-- lease_seconds, cursor, counts }) the page's counts are added to the run (and shard), the lease renewed and the
-- cursor saved (curator_touch_lease); `held` says whether the lease was still the caller's.
-- Returns how many rows of each kind changed.
--
-- p_rows: [{ execution_id, status, veto_reason, error, email_log_id, email_status, provider_message_id, ledger_id,
--            ledger_status, stripe_balance_transaction_id, referral_id, expired_ledger_id }]
create or replace function public.curator_record_outcomes(
  p_now timestamptz,
  p_rows jsonb,
  p_progress jsonb default null
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_result jsonb;
  v_held boolean := true;
begin
  with outcome as (
    select * from jsonb_to_recordset(coalesce(p_rows, '[]'::jsonb)) as o(
      execution_id uuid, status text, veto_reason text, error text, email_log_id uuid, email_status text,
      provider_message_id text, ledger_id uuid, ledger_status text, stripe_balance_transaction_id text,
      referral_id uuid, expired_ledger_id uuid)
  ), executions as (
    update public.pipeline_executions e
    set status = o.status,
        vetoed = o.veto_reason is not null,
        veto_reason = o.veto_reason,
        error = o.error,
        completed_at = case when o.status in ('pending', 'unknown') then null else p_now end,
        updated_at = p_now
    from outcome o
    where e.id = o.execution_id and e.status in ('pending', 'unknown')
    returning e.id
  ), emails as (
    update public.email_delivery_log l
    set status = o.email_status,
        provider_message_id = coalesce(o.provider_message_id, l.provider_message_id),
        error = case when o.email_status = 'failed' then o.error end,
        sent_at = case when o.email_status = 'sent' then p_now else l.sent_at end,
        updated_at = p_now
    from outcome o
    where l.id = o.email_log_id and o.email_status in ('sent', 'failed', 'queued') and l.status in ('queued', 'failed')
    returning l.id
  ), unsent as (
    delete from public.email_delivery_log l
    using outcome o
    where l.id = o.email_log_id and o.email_status = 'unsent' and l.status = 'queued'
    returning l.id
  ), ledger as (
    update public.reward_ledger l
    set status = o.ledger_status,
        stripe_balance_transaction_id = coalesce(o.stripe_balance_transaction_id, l.stripe_balance_transaction_id),
        error_message = case when o.ledger_status = 'failed' then o.error end,
        applied_at = case when o.ledger_status = 'applied' then p_now else l.applied_at end,
        updated_at = p_now
    from outcome o
    where l.id = o.ledger_id and o.ledger_status is not null
    returning l.id
  ), referrals as (
    update public.referral_tracking r
    set reward_status = case when o.ledger_status = 'failed' then 'failed' else 'issued' end,
        reward_ledger_id = o.ledger_id,
        updated_at = p_now
    from outcome o
    where r.id = o.referral_id and r.reward_status <> 'issued' and o.ledger_status is not null
    returning r.id
  ), expired as (
    update public.reward_ledger l
    set status = 'expired', expired_at = p_now, updated_at = p_now
    from outcome o
    where l.id = o.expired_ledger_id and o.status = 'succeeded' and l.status = 'pending'
    returning l.id
  )
  select jsonb_build_object(
    'executions', (select count(*) from executions),
    'emails', (select count(*) from emails) + (select count(*) from unsent),
    'ledger', (select count(*) from ledger),
    'referrals', (select count(*) from referrals),
    'expired', (select count(*) from expired)) into v_result;

  if p_progress is not null then
    v_held := public.curator_touch_lease(p_progress, p_now, p_progress->>'cursor', p_progress->'counts');
  end if;
  return v_result || jsonb_build_object('held', v_held);
end;
$$;
