-- One row per (job, period): what its firing did. The lease makes a duplicate delivery of the same firing find the
-- run taken; continuations and shards add their counts to the same row. A replay of the period is an attempt of
-- it (pipeline_run_attempts), never a rewrite: it counts apart, in replay_counts.
create table public.pipeline_runs (
  id                uuid primary key default gen_random_uuid(),
  job_type          text not null check (job_type in (
                      'daily_digest', 'weekly_insights', 'story_scoring', 'referral_rewards', 'expire_credits',
                      'org_health_report', 'data_retention',
                      'crisis_alert', 'early_intervention', 'story_failure', 'asset_timeout')),
  period_key        text not null check (length(period_key) > 0),
  -- release: the quiet-hours release sending what came due (src/runner/jobs/release.ts).
  trigger           text not null check (trigger in ('schedule', 'replay', 'release')),
  status            text not null default 'running' check (status in ('running', 'succeeded', 'failed', 'stuck')),
  event_id          text,
  scheduled_for     timestamptz,
  lease_owner       text,
  lease_expires_at  timestamptz,
  cursor            jsonb,
  attempt           integer not null default 1 check (attempt >= 1),
  candidates        integer not null default 0 check (candidates >= 0),
  executed          integer not null default 0 check (executed >= 0),
  skipped           integer not null default 0 check (skipped >= 0),
  vetoed            integer not null default 0 check (vetoed >= 0),
  -- Of the vetoed, those held for the family's quiet hours (QUIET_HOURS): a hold, not a judgement, so VetoRate leaves them out.
  held              integer not null default 0 check (held >= 0 and held <= vetoed),
  failed            integer not null default 0 check (failed >= 0),
  escalated         integer not null default 0 check (escalated >= 0),
  started_at        timestamptz not null default now(),
  completed_at      timestamptz,
  updated_at        timestamptz not null default now(),
  error             text,
  -- How many shards the run was split into; null when one invocation walked it.
  shards            integer check (shards is null or shards >= 2),
  -- How many candidates the run has in all, when it is known (a split run counts them to cut the shards).
  population        integer check (population is null or population >= 0),
  -- The event that resumes the run (the one that started it, with its period and range resolved): what a
  -- redelivery re-queues for after a live lease, and what the health job queues for a run whose invocation died.
  resume_event      jsonb,
  -- A replay of the period that took the run over after its firing (its attempt in pipeline_run_attempts): the
  -- run's trigger, start, event and counts stay the firing's, its status, lease and cursor follow the replay, and
  -- the replay's own counts add up in replay_counts ({ candidates, executed, skipped, vetoed, failed, escalated }).
  replay_attempt_id uuid,
  replay_counts     jsonb,
  constraint pipeline_runs_once unique (job_type, period_key),
  constraint pipeline_runs_running_has_lease check (status <> 'running' or lease_expires_at is not null),
  constraint pipeline_runs_finished_has_time check (status not in ('succeeded', 'failed') or completed_at is not null)
);
-- Health: runs by status in the last hour; stuck detection: running rows whose lease expired.
create index pipeline_runs_status_started on public.pipeline_runs (status, started_at);
create index pipeline_runs_started on public.pipeline_runs (started_at);
