-- Where a family is (issue: quiet hours in the family's own time zone): its IANA time zone and, when it chose them,
-- its own quiet hours as local wall-clock times (start = end: none; start after end wraps midnight). No row: no quiet
-- hours at all. A row without a window keeps the environment's default window (the quiet-hours-start and
-- quiet-hours-end tunables). The app's backend writes it through curator_set_family_time_zone, which checks the zone;
-- the app's users table is the app's and gains nothing.
create table public.family_time_zones (
  user_id      uuid primary key,
  time_zone    text not null,
  quiet_start  time,
  quiet_end    time,
  updated_at   timestamptz not null,
  check ((quiet_start is null) = (quiet_end is null)),
  check (quiet_start is null or (date_trunc('minute', quiet_start::interval) = quiet_start::interval
                                 and date_trunc('minute', quiet_end::interval) = quiet_end::interval))
);
