-- One row per shard of a run's current attempt (`generation` = pipeline_runs.attempt when it was split). A shard
-- covers subject keys in (after_key, through_key]; null bounds are open. Its lease, cursor and counts work as the
-- run's do. `share` is its part of the population: the part of the emails-per-run ceiling it may spend, so the
-- shards together never pass the ceiling without locking each other.
create table public.pipeline_run_shards (
  run_id            uuid not null references public.pipeline_runs (id) on delete cascade,
  shard             integer not null check (shard >= 0),
  generation        integer not null check (generation >= 1),
  after_key         text,
  through_key       text,
  share             double precision not null check (share > 0 and share <= 1),
  status            text not null default 'pending' check (status in ('pending', 'running', 'succeeded', 'failed')),
  lease_owner       text,
  lease_expires_at  timestamptz,
  cursor            text,
  attempt           integer not null default 0 check (attempt >= 0),
  candidates        integer not null default 0 check (candidates >= 0),
  executed          integer not null default 0 check (executed >= 0),
  skipped           integer not null default 0 check (skipped >= 0),
  vetoed            integer not null default 0 check (vetoed >= 0),
  failed            integer not null default 0 check (failed >= 0),
  escalated         integer not null default 0 check (escalated >= 0),
  started_at        timestamptz,
  completed_at      timestamptz,
  updated_at        timestamptz not null default now(),
  error             text,
  primary key (run_id, shard),
  constraint pipeline_run_shards_running_has_lease check (status <> 'running' or lease_expires_at is not null)
);
