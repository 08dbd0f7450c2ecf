-- One page of referral reward candidates: converted referrals whose reward is not issued, with the referrer's
-- Stripe customer, the ledger row already written for the referral (retries reuse it and its idempotency key)
-- and the existing decision for the period.
create or replace function public.curator_referral_candidates(
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
    select r.id, r.referrer_id, u.stripe_customer_id
    from public.referral_tracking r
    join public.users u on u.id = r.referrer_id
    where r.status = 'converted' and r.reward_status <> 'issued' and r.converted_at <= p_at
      and (p_after is null or r.id > p_after::uuid)
      and (p_subjects is null or r.id = any(p_subjects::uuid[]))
    order by r.id
    limit p_limit
  ), existing as (
    select * from public.curator_existing_executions(p_job_type, p_period_key, array(select id::text from page))
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'subject_key', page.id::text,
           'user_id', page.referrer_id,
           'stripe_customer_id', page.stripe_customer_id,
           'ledger', case when l.id is null then null else jsonb_build_object(
             'id', l.id, 'status', l.status, 'amount', l.amount,
             'stripe_balance_transaction_id', l.stripe_balance_transaction_id) end,
           'existing', case when x.id is null then null
                            else jsonb_build_object('id', x.id, 'status', x.status, 'veto_reason', x.veto_reason) end
         ) order by page.id), '[]'::jsonb)
  from page
  left join public.reward_ledger l on l.source = 'referral' and l.reference_key = page.id::text
  left join existing x on x.subject_key = page.id::text;
$$;
