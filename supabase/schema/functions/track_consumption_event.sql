-- Records one reading event from the app and returns its id.
create or replace function public.track_consumption_event(
  p_user_id uuid,
  p_story_id uuid,
  p_event_type text,
  p_duration_seconds integer default null,
  p_completion_pct numeric default null,
  p_metadata jsonb default '{}'::jsonb,
  p_occurred_at timestamptz default now()
) returns bigint
language sql
volatile
set search_path = public, pg_temp
as $$
  insert into public.consumption_metrics (user_id, story_id, event_type, duration_seconds, completion_pct, metadata, occurred_at)
  values (p_user_id, p_story_id, p_event_type, p_duration_seconds, p_completion_pct, coalesce(p_metadata, '{}'::jsonb), coalesce(p_occurred_at, now()))
  returning id;
$$;
