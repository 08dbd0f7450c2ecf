-- Request batches: a page's claims, stamped with their page's batch (pipeline_executions.request_batch). The batch is
-- recorded here in the statement that claims them (curator_record_decisions), so from then on a claim may have
-- reached its provider: when a run fails or its invocation dies, a claim whose batch is here becomes unknown (settled
-- by SendGrid's events, curator_settle_unknown_emails) and one whose batch is not never did (failed, and redone). Kept a week
-- (curator_recover removes older ones): a claim is settled long before. SendGrid accepts or refuses a request as a
-- whole, and every message of an accepted one has events (Processed, Dropped, Delivered, ...) that carry the batch
-- as the custom arg curator_batch_id: the first one seen is the batch's evidence that its request was accepted.
create table public.pipeline_request_batches (
  id                    uuid primary key,
  run_id                uuid,
  created_at            timestamptz not null,
  -- When SendGrid says the first event of one of the batch's messages happened, which event, when it arrived.
  evidence_at           timestamptz,
  evidence_event        text,
  evidence_received_at  timestamptz,
  -- When its emails of unknown outcome were settled failed: no evidence by the grace window, later requests' Processed
  -- events arrived and the webhook answered every delivery (curator_settle_unknown_emails).
  settled_failed_at     timestamptz,
  -- How many emails it settled failed: what a late evidence may have made duplicates of.
  settled_failed_emails integer check (settled_failed_emails >= 0)
);
create index pipeline_request_batches_created on public.pipeline_request_batches (created_at);
