-- The monitoring guide's "Conversion Rate" widget: by UTC day a referral was made, how many signed up, converted
-- and were rewarded, and the conversion rate in percent of the referrals. security_invoker, service role only.
create view public.referral_conversion_daily with (security_invoker = true) as
  select (t.created_at at time zone 'UTC')::date as day,
         count(*) as referrals,
         count(*) filter (where t.status in ('signed_up', 'converted')) as signed_up,
         count(*) filter (where t.status = 'converted') as converted,
         count(*) filter (where t.reward_status = 'issued') as rewarded,
         round(100.0 * count(*) filter (where t.status = 'converted') / count(*), 1) as conversion_rate
  from public.referral_tracking t
  group by 1;
