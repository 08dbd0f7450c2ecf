-- One row per reading event the app reports through track_consumption_event(): the signal the digests read.
create table public.consumption_metrics (
  id                bigint generated always as identity primary key,
  user_id           uuid not null,
  story_id          uuid not null,
  event_type        text not null check (event_type in ('started', 'completed', 'replayed', 'abandoned', 'shared')),
  duration_seconds  integer check (duration_seconds >= 0),
  completion_pct    numeric(5, 2) check (completion_pct between 0 and 100),
  metadata          jsonb not null default '{}'::jsonb,
  occurred_at       timestamptz not null default now()
);
-- Per-user signal in a period (digest, insights) and per-story scoring, both as range scans.
create index consumption_metrics_user_occurred on public.consumption_metrics (user_id, occurred_at);
create index consumption_metrics_story_occurred on public.consumption_metrics (story_id, occurred_at);
create index consumption_metrics_occurred on public.consumption_metrics (occurred_at);
revoke all on sequence public.consumption_metrics_id_seq from public, anon, authenticated;
grant usage, select on sequence public.consumption_metrics_id_seq to service_role;
