-- Every answer the SendGrid webhook gave that it could record: its HTTP status and how many events the delivery
-- held. An email of unknown outcome is settled failed only when the webhook answered every delivery since its
-- request batch was recorded with 2xx (curator_settle_unknown_emails): a refused delivery may have held its evidence.
-- Kept a week (curator_recover removes older rows).
create table public.webhook_deliveries (
  id           bigint generated always as identity primary key,
  received_at  timestamptz not null,
  status       integer not null check (status between 100 and 599),
  events       integer not null default 0 check (events >= 0),
  error        text
);
create index webhook_deliveries_refused on public.webhook_deliveries (received_at) where status >= 300;
create index webhook_deliveries_received on public.webhook_deliveries (received_at);
revoke all on sequence public.webhook_deliveries_id_seq from public, anon, authenticated;
grant usage, select on sequence public.webhook_deliveries_id_seq to service_role;

-- Evidence that came for a request batch after it was settled failed ("SendGrid never received it"): SendGrid had it
-- after all. Each row is the measure of the duplicates the settlement rule can cause (its emails may have been sent
-- again by the replay), counted as LateEvidence.
create table public.email_late_evidence (
  batch_id           uuid primary key,
  settled_failed_at  timestamptz not null,
  evidence_at        timestamptz not null,
  evidence_event     text not null,
  received_at        timestamptz not null,
  emails             integer not null check (emails >= 0)
);
