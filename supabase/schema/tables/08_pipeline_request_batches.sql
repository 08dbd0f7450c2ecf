-- Request batches whose first provider request was about to leave. Each page's claims are stamped with their
-- page's batch (pipeline_executions.request_batch); the batch is recorded here, by curator_mark_requests, just
-- before the page's first request. So when a run fails or its invocation dies, a claim whose batch is here may have
-- reached the provider (it becomes unknown) and one whose batch is not never did (failed, and redone). Kept a week
-- (curator_recover removes older ones): a claim is settled long before.
create table public.pipeline_request_batches (
  id          uuid primary key,
  run_id      uuid,
  created_at  timestamptz not null
);
create index pipeline_request_batches_created on public.pipeline_request_batches (created_at);
