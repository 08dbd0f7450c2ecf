-- One page of expiring credits: credits issued, not (fully) applied, whose expiry is at or before p_at, with the
-- owner's Stripe customer, the reversal already written for it and the existing decision. `amount` is what is left
-- of the credit: what Stripe's invoices took of it (reward_ledger.applied_cents, from the Stripe webhook) is never
-- reversed.
create or replace function public.curator_expiring_credit_candidates(
  p_job_type text,
  p_period_key text,
  p_after text,
  p_limit integer,
  p_subjects text[],
  p_at timestamptz
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  with page as (
    select l.id, l.user_id, l.amount - l.applied_cents as amount, coalesce(l.stripe_customer_id, u.stripe_customer_id) as stripe_customer_id
    from public.reward_ledger l
    left join public.users u on u.id = l.user_id
    where l.status = 'pending' and l.amount > 0 and l.amount > l.applied_cents and l.expires_at <= p_at
      and (p_after is null or l.id > p_after::uuid)
      and (p_subjects is null or l.id = any(p_subjects::uuid[]))
    order by l.id
    limit p_limit
  ), existing as (
    select * from public.curator_existing_executions(p_job_type, p_period_key, array(select id::text from page))
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'subject_key', page.id::text,
           'user_id', page.user_id,
           'amount', page.amount,
           'stripe_customer_id', page.stripe_customer_id,
           'ledger', case when r.id is null then null else jsonb_build_object(
             'id', r.id, 'status', r.status, 'amount', r.amount,
             'stripe_balance_transaction_id', r.stripe_balance_transaction_id) end,
           'existing', case when x.id is null then null
                            else jsonb_build_object('id', x.id, 'status', x.status, 'veto_reason', x.veto_reason) end
         ) order by page.id), '[]'::jsonb)
  from page
  left join public.reward_ledger r on r.source = 'expiry' and r.reference_key = page.id::text
  left join existing x on x.subject_key = page.id::text;
$$;
