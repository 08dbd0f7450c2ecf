-- The morning ops summary, one row per day it summarises: claimed before SendGrid is called and marked sent after,
-- so a redelivered schedule sends it once. It is the curator's own internal email: never in email_delivery_log, so
-- never in a rate, a cap or the complaint breaker. `figures` keeps what it said.
create table public.ops_summaries (
  summary_date         date primary key,
  status               text not null check (status in ('sending', 'sent', 'failed', 'unknown')),
  monthly              boolean not null default false,
  recipients           integer not null default 0 check (recipients >= 0),
  attempts             integer not null default 1 check (attempts >= 1),
  provider_message_id  text,
  error                text,
  figures              jsonb,
  claimed_at           timestamptz not null,
  sent_at              timestamptz,
  constraint ops_summaries_sent_has_time check (status <> 'sent' or sent_at is not null)
);
