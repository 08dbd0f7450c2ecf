-- The monitoring guide's "Credits applied per day": by UTC day and the credit's source, how many curator credits
-- Stripe's invoices took from and how much, in USD (from the Stripe webhook's applications; a voided invoice's are
-- gone, since Stripe gave them back). security_invoker, service role only.
create view public.credits_applied_daily with (security_invoker = true) as
  select (a.applied_at at time zone 'UTC')::date as day,
         l.source,
         count(distinct a.ledger_id) as credits,
         sum(a.cents) / 100.0 as total_usd
  from public.reward_applications a
  join public.reward_ledger l on l.id = a.ledger_id
  group by 1, 2;
