-- What `ops what-if` (and `ops tune` before it changes anything) found: the proposed overrides, the window, and the
-- report (per pipeline and day, the decisions that would change, emails and credits before and after, a sample of
-- families, what could not be made again). Kept like a dry run's report, apart from the product tables.
create table public.what_if_reports (
  id            uuid primary key default gen_random_uuid(),
  requested_at  timestamptz not null,
  scope         text not null,
  overrides     jsonb not null,
  days          integer not null check (days between 1 and 31),
  report        jsonb not null
);
create index what_if_reports_requested on public.what_if_reports (requested_at);
