-- The monitoring guide's "Open Rate by Type" widget over the last 30 days of sending: first opens over deliveries,
-- in percent, per email type (a message opened five times is one open). security_invoker, service role only.
create view public.email_open_rate_by_type with (security_invoker = true) as
  select l.email_type,
         count(*) as sent,
         count(l.delivered_at) as delivered,
         count(l.opened_at) as opened,
         round(100.0 * count(l.opened_at) / nullif(count(l.delivered_at), 0), 1) as open_rate
  from public.email_delivery_log l
  where l.sent_at > now() - interval '30 days'
  group by l.email_type;
