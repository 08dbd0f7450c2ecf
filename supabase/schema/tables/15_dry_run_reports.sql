-- What a dry run would have done, beside the last real run of its job: kept as a report of its own, outside the
-- (job, period) key, since a dry run writes nothing to the product tables (DESIGN.md section 2) and its answer to
-- an asynchronous EventBridge delivery would otherwise be lost. `ops run` and `ops replay --dry-run --wait` read it.
create table public.dry_run_reports (
  id            uuid primary key default gen_random_uuid(),
  job_type      text not null,
  period_key    text not null,
  event_id      text,
  request_id    text,
  report        jsonb not null,
  requested_at  timestamptz not null
);
create index dry_run_reports_job on public.dry_run_reports (job_type, requested_at);
create index dry_run_reports_event on public.dry_run_reports (event_id) where event_id is not null;
