-- Written by story scoring (calculate_story_effectiveness()); one row per story, replaced on each run.
create table public.story_effectiveness (
  story_id             uuid primary key,
  effectiveness_score  double precision not null check (effectiveness_score between 0 and 1),
  completion_rate      double precision not null check (completion_rate between 0 and 1),
  replay_rate          double precision not null check (replay_rate between 0 and 1),
  abandon_rate         double precision not null check (abandon_rate between 0 and 1),
  unique_readers       integer not null check (unique_readers >= 0),
  sample_size          integer not null check (sample_size >= 0),
  window_start         timestamptz not null,
  calculated_at        timestamptz not null default now()
);
