-- Events already applied, by SendGrid's own event id, so an event delivered twice changes nothing twice and is
-- counted once.
create table public.email_webhook_events (
  sg_event_id   text primary key,
  event         text not null,
  execution_id  uuid,
  received_at   timestamptz not null default now()
);
create index email_webhook_events_received on public.email_webhook_events (received_at);
