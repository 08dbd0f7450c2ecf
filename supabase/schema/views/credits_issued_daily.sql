-- The monitoring guide's "Daily Credits Issued" widget: by UTC day and source, the credits Stripe accepted (ledger
-- rows pending on the balance or applied to an invoice; not failed ones, not expiry reversals), in USD.
-- security_invoker, service role only.
create view public.credits_issued_daily with (security_invoker = true) as
  select (r.created_at at time zone 'UTC')::date as day,
         r.source,
         count(*) as credits,
         sum(r.amount) / 100.0 as total_usd
  from public.reward_ledger r
  where r.amount > 0 and r.status in ('pending', 'applied')
  group by 1, 2;
