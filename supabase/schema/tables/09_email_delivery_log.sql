-- One row per email. queued is written before the provider is called; queued and sent both count toward
-- the frequency caps, failed does not.
create table public.email_delivery_log (
  id                   uuid primary key default gen_random_uuid(),
  execution_id         uuid references public.pipeline_executions (id) on delete set null,
  user_id              uuid not null,
  email_type           text not null check (email_type in (
                         'daily_digest', 'weekly_insights', 'org_health_report',
                         'crisis_alert', 'early_intervention', 'story_failure', 'asset_timeout')),
  template_id          text,
  status               text not null default 'queued' check (status in (
                         'queued', 'sent', 'failed', 'delivered', 'opened', 'clicked',
                         'bounced', 'dropped', 'unsubscribed', 'spamreport')),
  provider_message_id  text,
  attempts             integer not null default 0 check (attempts >= 0),
  error                text,
  queued_at            timestamptz not null default now(),
  sent_at              timestamptz,
  last_event_at        timestamptz,
  -- When the webhook first saw each kind of event for this message: the status keeps only the furthest one, and a
  -- rate (opens over deliveries by type) counts each message once, its first open however many follow.
  delivered_at         timestamptz,
  opened_at            timestamptz,
  clicked_at           timestamptz,
  bounced_at           timestamptz,
  unsubscribed_at      timestamptz,
  spam_reported_at     timestamptz,
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default now(),
  constraint email_delivery_log_one_per_execution unique (execution_id),
  constraint email_delivery_log_sent_has_time check (status in ('queued', 'failed') or sent_at is not null)
);
-- Frequency caps: every email of a user queued in a rolling window, without touching the heap for type and status.
create index email_delivery_log_user_queued on public.email_delivery_log (user_id, queued_at) include (email_type, status);
create index email_delivery_log_sent_at on public.email_delivery_log (sent_at);
create index email_delivery_log_created on public.email_delivery_log (created_at);
-- The SendGrid webhook joins its events back by message id.
create index email_delivery_log_provider_message on public.email_delivery_log (provider_message_id)
  where provider_message_id is not null;
-- The complaint breaker reads a type's deliveries of the last 24 hours after every delivery with a complaint in it.
create index email_delivery_log_type_delivered on public.email_delivery_log (email_type, delivered_at)
  where delivered_at is not null;
