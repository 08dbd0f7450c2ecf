-- The monitoring guide's "Unsubscribe Rate" widget: by UTC day of sending, the messages that led to an
-- unsubscribe, in percent of those sent (the guide's SUM(status = 'unsubscribed') / COUNT(*), counted from
-- unsubscribed_at so a later spam report does not hide it). Its "7-day trend" is the last seven rows.
-- security_invoker, service role only.
create view public.email_unsubscribe_trend with (security_invoker = true) as
  select (l.sent_at at time zone 'UTC')::date as day,
         count(*) as sent,
         count(l.unsubscribed_at) as unsubscribed,
         round(100.0 * count(l.unsubscribed_at) / count(*), 2) as unsubscribe_rate
  from public.email_delivery_log l
  where l.sent_at is not null
  group by 1;
