-- Applies one webhook delivery in one statement: new events only (by sg_event_id); each email row moves to the
-- highest status its events reach, never backwards, takes the recipient's own message id, and keeps when it first
-- saw each kind of event (delivered_at, opened_at, ...); hard bounces, spam reports and unsubscribes suppress the
-- address so the curator vetoes it (USER_OPTED_OUT). Events without an execution_id (custom_args of another sender)
-- still suppress. Answers how many events were new, how many rows moved, the new unsubscribes, bounces and spam
-- reports (every event, for the guide's no-dimension Storytailor/Email series), and by email type how many messages
-- this delivery saw for the first time delivered, opened, clicked, bounced, unsubscribed or reported (a second
-- open of a message is not a first: the per-type rates count messages). Then the evidence: any event of a message
-- proves its whole request was accepted, so the first one seen is recorded on its request batch (curator_batch_id,
-- else the batch of its execution), and the batch's emails of unknown outcome are settled sent
-- (curator_settle_by_evidence); `settled_sent` says how many. Evidence for a batch already settled failed is kept in
-- email_late_evidence (`late_evidence`), and the batch's failed emails are settled sent, so a replay that has not
-- resent them yet does not. The delivery is recorded in webhook_deliveries (the settlement reads the webhook's health).
--
-- p_events: [{ sg_event_id, event, email, execution_id, curator_batch_id, sg_message_id, timestamp, type }]
create or replace function public.curator_apply_email_events(
  p_events jsonb,
  p_now timestamptz
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_result jsonb;
  v_batches uuid[];
  v_late integer;
begin
  with input as (
    select * from jsonb_to_recordset(p_events) as e(
      sg_event_id text, event text, email text, execution_id uuid, sg_message_id text, "timestamp" bigint, type text)
  ), fresh as (
    insert into public.email_webhook_events (sg_event_id, event, execution_id, received_at)
    select distinct on (sg_event_id) sg_event_id, event, execution_id, p_now from input
    on conflict (sg_event_id) do nothing
    returning sg_event_id
  ), applied as (
    select distinct on (i.sg_event_id) i.*,
           case i.event
             when 'delivered' then 'delivered' when 'open' then 'opened' when 'click' then 'clicked'
             when 'bounce' then 'bounced' when 'dropped' then 'dropped'
             when 'unsubscribe' then 'unsubscribed' when 'group_unsubscribe' then 'unsubscribed'
             when 'spamreport' then 'spamreport' end as status,
           to_timestamp(i."timestamp") as occurred_at
    from input i join fresh f on f.sg_event_id = i.sg_event_id
  ), best as (
    select distinct on (execution_id) execution_id, status, sg_message_id, occurred_at
    from applied
    where execution_id is not null and status is not null
    order by execution_id, public.email_status_rank(status) desc, occurred_at desc
  ), firsts as (
    select execution_id,
           min(occurred_at) filter (where event = 'delivered') as delivered_at,
           min(occurred_at) filter (where event = 'open') as opened_at,
           min(occurred_at) filter (where event = 'click') as clicked_at,
           min(occurred_at) filter (where event = 'bounce' and coalesce(type, 'bounce') = 'bounce') as bounced_at,
           min(occurred_at) filter (where event in ('unsubscribe', 'group_unsubscribe')) as unsubscribed_at,
           min(occurred_at) filter (where event = 'spamreport') as spam_reported_at
    from applied
    where execution_id is not null and status is not null
    group by execution_id
  ), moved as (
    -- A first is a time this delivery set: the row kept its own when it had one (coalesce), also when a concurrent
    -- delivery set it first (the update re-reads the row it waited for).
    update public.email_delivery_log l
    set status = case when public.email_status_rank(b.status) > public.email_status_rank(l.status) then b.status else l.status end,
        provider_message_id = coalesce(b.sg_message_id, l.provider_message_id),
        sent_at = coalesce(l.sent_at, b.occurred_at),
        last_event_at = greatest(l.last_event_at, b.occurred_at),
        delivered_at = coalesce(l.delivered_at, f.delivered_at),
        opened_at = coalesce(l.opened_at, f.opened_at),
        clicked_at = coalesce(l.clicked_at, f.clicked_at),
        bounced_at = coalesce(l.bounced_at, f.bounced_at),
        unsubscribed_at = coalesce(l.unsubscribed_at, f.unsubscribed_at),
        spam_reported_at = coalesce(l.spam_reported_at, f.spam_reported_at),
        updated_at = p_now
    from best b join firsts f on f.execution_id = b.execution_id
    where l.execution_id = b.execution_id
    returning l.id, l.email_type,
              coalesce(l.delivered_at = f.delivered_at, false) as delivered,
              coalesce(l.opened_at = f.opened_at, false) as opened,
              coalesce(l.clicked_at = f.clicked_at, false) as clicked,
              coalesce(l.bounced_at = f.bounced_at, false) as bounced,
              coalesce(l.unsubscribed_at = f.unsubscribed_at, false) as unsubscribed,
              coalesce(l.spam_reported_at = f.spam_reported_at, false) as spam_reported
  ), by_type as (
    select email_type,
           count(*) filter (where delivered) as delivered,
           count(*) filter (where opened) as opens,
           count(*) filter (where clicked) as clicks,
           count(*) filter (where bounced) as bounces,
           count(*) filter (where unsubscribed) as unsubscribes,
           count(*) filter (where spam_reported) as spamreports
    from moved
    group by email_type
    having count(*) filter (where delivered or opened or clicked or bounced or unsubscribed or spam_reported) > 0
  ), suppressing as (
    select distinct on (lower(btrim(a.email))) lower(btrim(a.email)) as email, a.event, a.sg_event_id
    from applied a
    where a.email is not null
      and (a.event in ('spamreport', 'unsubscribe', 'group_unsubscribe') or (a.event = 'bounce' and coalesce(a.type, 'bounce') = 'bounce'))
  ), suppressed as (
    insert into public.email_suppressions (email, reason, user_id, source_event_id, created_at)
    select s.email, s.event, (select u.id from public.users u where u.email = s.email), s.sg_event_id, p_now
    from suppressing s
    on conflict (email) do nothing
    returning 1
  )
  select jsonb_build_object(
    'received', (select count(*) from input),
    'applied', (select count(*) from applied),
    'moved', (select count(*) from moved),
    'suppressed', (select count(*) from suppressed),
    'unsubscribes', (select count(*) from applied where event in ('unsubscribe', 'group_unsubscribe')),
    'bounces', (select count(*) from applied where event = 'bounce' and coalesce(type, 'bounce') = 'bounce'),
    'spamreports', (select count(*) from applied where event = 'spamreport'),
    'by_type', coalesce((select jsonb_agg(to_jsonb(t) order by t.email_type) from by_type t), '[]'::jsonb))
  into v_result;

  -- A second statement: the rows the first one moved are settled here on what it left.
  with seen as (
    select coalesce(e.curator_batch_id, x.request_batch) as batch, min(to_timestamp(e."timestamp")) as at,
           (array_agg(e.event order by e."timestamp"))[1] as event
    from jsonb_to_recordset(p_events) as e(execution_id uuid, curator_batch_id uuid, event text, "timestamp" bigint)
    left join public.pipeline_executions x on e.curator_batch_id is null and x.id = e.execution_id
    where coalesce(e.curator_batch_id, x.request_batch) is not null
    group by 1
  ), recorded as (
    update public.pipeline_request_batches b
    set evidence_at = s.at, evidence_event = s.event, evidence_received_at = p_now
    from seen s
    where b.id = s.batch and b.evidence_at is null
    returning b.id, b.settled_failed_at, b.settled_failed_emails, s.at, s.event
  ), late as (
    -- Evidence for a batch already settled failed: SendGrid had it after all; kept, and counted, as LateEvidence.
    insert into public.email_late_evidence (batch_id, settled_failed_at, evidence_at, evidence_event, received_at, emails)
    select r.id, r.settled_failed_at, r.at, r.event, p_now, coalesce(r.settled_failed_emails, 0)
    from recorded r where r.settled_failed_at is not null
    on conflict (batch_id) do nothing
    returning batch_id
  )
  select coalesce(array_agg(s.batch), '{}'), (select count(*) from late) into v_batches, v_late from seen s;
  -- The delivery itself, answered 2xx: what the settlement reads as the webhook's health.
  insert into public.webhook_deliveries (received_at, status, events) values (p_now, 200, jsonb_array_length(p_events));
  return v_result || jsonb_build_object('settled_sent', public.curator_settle_by_evidence(v_batches, p_now), 'late_evidence', v_late);
end;
$$;
