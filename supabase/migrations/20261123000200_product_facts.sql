-- The facts the pipelines read: who the families are, how they want to be reached, what they read.
-- The app writes these; the curator only reads them (and story scoring writes story_effectiveness).

create table public.users (
  id                  uuid primary key default gen_random_uuid(),
  email               text not null,
  first_name          text,
  stripe_customer_id  text,
  is_active           boolean not null default true,
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default now(),
  -- Stored normalised so suppressions (keyed by address) match without functions in the join.
  constraint users_email_normalised check (email = lower(btrim(email)) and position('@' in email) > 1)
);
create unique index users_email_key on public.users (email);
-- Keyset pages over the active population: `where is_active and id > $cursor order by id limit $page`.
create index users_active_id on public.users (id) where is_active;

create table public.organizations (
  id          uuid primary key default gen_random_uuid(),
  name        text not null,
  created_at  timestamptz not null default now()
);

create table public.organization_members (
  organization_id  uuid not null references public.organizations (id) on delete cascade,
  user_id          uuid not null references public.users (id) on delete cascade,
  role             text not null check (role in ('admin', 'member')),
  created_at       timestamptz not null default now(),
  primary key (organization_id, user_id)
);
create index organization_members_user on public.organization_members (user_id);
-- The org health report goes to every admin of every organisation.
create index organization_members_admins on public.organization_members (organization_id, user_id) where role = 'admin';

-- A row is a user's explicit choice for one email type; no row means the default (subscribed).
-- email_type 'all' turns off every non-critical email; a crisis alert is only turned off by its own row.
create table public.email_preferences (
  user_id     uuid not null references public.users (id) on delete cascade,
  email_type  text not null check (email_type in (
                'all', 'daily_digest', 'weekly_insights', 'org_health_report',
                'crisis_alert', 'early_intervention', 'story_failure', 'asset_timeout')),
  enabled     boolean not null,
  updated_at  timestamptz not null default now(),
  primary key (user_id, email_type)
);

-- Addresses never to email again. Kept apart from email_delivery_log, which data retention archives:
-- a bounce from a year ago must still stop the next send.
create table public.email_suppressions (
  email            text primary key check (email = lower(btrim(email))),
  reason           text not null check (reason in ('bounce', 'spamreport', 'unsubscribe', 'group_unsubscribe', 'dropped', 'manual')),
  user_id          uuid references public.users (id) on delete set null,
  source_event_id  text,
  created_at       timestamptz not null default now()
);
create index email_suppressions_user on public.email_suppressions (user_id) where user_id is not null;

-- Rows of a user on legal hold are neither archived nor deleted by data retention.
create table public.legal_holds (
  user_id      uuid primary key references public.users (id) on delete restrict,
  reason       text not null check (length(btrim(reason)) > 0),
  placed_by    text not null check (length(btrim(placed_by)) > 0),
  placed_at    timestamptz not null default now(),
  released_at  timestamptz,
  check (released_at is null or released_at >= placed_at)
);

create table public.stories (
  id          uuid primary key default gen_random_uuid(),
  title       text not null,
  created_at  timestamptz not null default now()
);

-- One row per reading event the app reports through track_consumption_event().
create table public.consumption_metrics (
  id                bigint generated always as identity primary key,
  user_id           uuid not null references public.users (id) on delete cascade,
  story_id          uuid not null references public.stories (id) on delete cascade,
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

-- Written by story scoring (calculate_story_effectiveness()); one row per story, replaced on each run.
create table public.story_effectiveness (
  story_id             uuid primary key references public.stories (id) on delete cascade,
  effectiveness_score  double precision not null check (effectiveness_score between 0 and 1),
  completion_rate      double precision not null check (completion_rate between 0 and 1),
  replay_rate          double precision not null check (replay_rate between 0 and 1),
  abandon_rate         double precision not null check (abandon_rate between 0 and 1),
  unique_readers       integer not null check (unique_readers >= 0),
  sample_size          integer not null check (sample_size >= 0),
  window_start         timestamptz not null,
  calculated_at        timestamptz not null default now()
);
