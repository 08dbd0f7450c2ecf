-- The complaint breaker's figures per email type: the messages the webhook received an unsubscribe or a spam report
-- for since the later of an hour ago and the pipeline's last kill_switch_enable (so complaints from before ops turned
-- it back on do not trip it again), over the type's deliveries in the last 24 hours (the digest all goes out at once).
-- A message complaining twice counts once.
--
-- p_types: [{ email_type, pipeline_type }]
create or replace function public.curator_complaint_rates(
  p_types jsonb,
  p_now timestamptz
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  with wanted as (
    select t.email_type, t.pipeline_type,
           greatest(p_now - interval '1 hour',
                    (select max(o.occurred_at) from public.human_overrides o
                     where o.pipeline_type = t.pipeline_type and o.override_type = 'kill_switch_enable')) as since
    from jsonb_to_recordset(p_types) as t(email_type text, pipeline_type text)
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'email_type', w.email_type,
           'pipeline_type', w.pipeline_type,
           'since', w.since,
           'complaints', (select count(distinct e.execution_id)
                          from public.email_webhook_events e
                          join public.email_delivery_log l on l.execution_id = e.execution_id
                          where e.received_at >= w.since and e.received_at <= p_now
                            and e.event in ('unsubscribe', 'group_unsubscribe', 'spamreport')
                            and l.email_type = w.email_type),
           'deliveries', (select count(*) from public.email_delivery_log l
                          where l.email_type = w.email_type and l.delivered_at is not null
                            and l.delivered_at > p_now - interval '24 hours' and l.delivered_at <= p_now))
         order by w.email_type), '[]'::jsonb)
  from wanted w;
$$;
