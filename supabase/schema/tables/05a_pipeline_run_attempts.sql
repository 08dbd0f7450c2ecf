-- Every attempt on a run, kept apart so that a replay or a redelivery never overwrites what the firing did: the
-- firing itself, a redelivery of it (Lambda's retry, a duplicate, a re-queued one), a continuation, a shard's
-- invocation, a replay. Each with what brought it (the EventBridge event id, the Lambda request id), how it ended
-- and its own summary (counts by outcome and veto reason, emails, credits, its duration). `ops run` shows them as
-- the run's timeline; `ops replay --wait` follows the attempts of the event it published.
create table public.pipeline_run_attempts (
  id           uuid primary key default gen_random_uuid(),
  run_id       uuid not null references public.pipeline_runs (id) on delete cascade,
  shard        integer,
  kind         text not null check (kind in ('firing', 'redelivery', 'continuation', 'replay', 'shard')),
  event_id     text,
  request_id   text,
  outcome      text not null default 'running' check (outcome in (
                 'running', 'succeeded', 'failed', 'continued', 'fanned_out', 'skipped')),
  reason       text,
  summary      jsonb not null default '{}'::jsonb,
  error        text,
  started_at   timestamptz not null,
  finished_at  timestamptz
);
create index pipeline_run_attempts_run on public.pipeline_run_attempts (run_id, started_at);
create index pipeline_run_attempts_event on public.pipeline_run_attempts (event_id) where event_id is not null;
