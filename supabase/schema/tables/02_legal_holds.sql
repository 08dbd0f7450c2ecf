-- Rows of a user on legal hold are neither archived nor deleted by data retention.
create table public.legal_holds (
  user_id      uuid primary key,
  reason       text not null check (length(btrim(reason)) > 0),
  placed_by    text not null check (length(btrim(placed_by)) > 0),
  placed_at    timestamptz not null default now(),
  released_at  timestamptz,
  check (released_at is null or released_at >= placed_at)
);
