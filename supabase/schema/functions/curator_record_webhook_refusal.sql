-- Records that the SendGrid webhook refused a delivery (a malformed body, a signature it could not verify): the
-- delivery may have held the evidence of a request, so no email of a batch recorded before it is settled failed for
-- want of evidence. At most one row a minute, so a flood of forged requests costs one write a minute. Answers whether
-- it wrote one.
create or replace function public.curator_record_webhook_refusal(
  p_now timestamptz,
  p_status integer,
  p_error text
) returns boolean
language sql
volatile
set search_path = public, pg_temp
as $$
  with written as (
    insert into public.webhook_deliveries (received_at, status, error)
    select p_now, p_status, left(p_error, 500)
    where not exists (select 1 from public.webhook_deliveries w where w.status >= 300 and w.received_at >= date_trunc('minute', p_now))
    returning 1
  )
  select exists (select 1 from written);
$$;
