-- The monitoring guide's "Email Performance" widgets, by UTC day (of sending) and email type: volume (sent), and of
-- those messages how many SendGrid reported delivered, opened, clicked, bounced, unsubscribed and reported as spam,
-- each message once (the *_at columns keep the first of each), with the rates in percent of the messages sent. A
-- day's opens keep arriving for days, so the newest rows still grow. security_invoker: it shows what the caller may
-- read of email_delivery_log (the service role: everything; anon and authenticated are not granted it at all).
create view public.email_performance_daily with (security_invoker = true) as
  select (l.sent_at at time zone 'UTC')::date as day,
         l.email_type,
         count(*) as sent,
         count(l.delivered_at) as delivered,
         count(l.opened_at) as opened,
         count(l.clicked_at) as clicked,
         count(l.bounced_at) as bounced,
         count(l.unsubscribed_at) as unsubscribed,
         count(l.spam_reported_at) as spam_reported,
         round(100.0 * count(l.opened_at) / nullif(count(l.delivered_at), 0), 1) as open_rate,
         round(100.0 * count(l.clicked_at) / nullif(count(l.delivered_at), 0), 1) as click_rate,
         round(100.0 * count(l.unsubscribed_at) / nullif(count(l.delivered_at), 0), 2) as unsubscribe_rate,
         round(100.0 * count(l.bounced_at) / count(*), 2) as bounce_rate
  from public.email_delivery_log l
  where l.sent_at is not null
  group by 1, 2;
