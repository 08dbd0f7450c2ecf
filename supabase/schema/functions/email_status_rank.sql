-- How far along an email is: a status only ever moves to a higher rank, whatever order events arrive in.
-- Delivery problems and complaints outrank engagement: a click after a spam report leaves it a spam report.
create or replace function public.email_status_rank(p_status text)
returns integer
language sql
immutable
set search_path = public, pg_temp
as $$
  select case p_status
    when 'queued' then 0 when 'failed' then 0 when 'sent' then 1 when 'delivered' then 2
    when 'opened' then 3 when 'clicked' then 4 when 'bounced' then 5 when 'dropped' then 5
    when 'unsubscribed' then 6 when 'spamreport' then 7 else -1 end;
$$;
