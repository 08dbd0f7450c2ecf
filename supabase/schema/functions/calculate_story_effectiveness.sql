-- Recomputes story_effectiveness for every story read since p_window_start, in one statement, and returns how
-- many stories were scored. Score = 0.6 x completion + 0.25 x replay + 0.15 x (1 - abandonment), each a rate in [0, 1].
create or replace function public.calculate_story_effectiveness(
  p_window_start timestamptz default now() - interval '30 days'
) returns integer
language sql
volatile
set search_path = public, pg_temp
as $$
  with stats as (
    select story_id,
           count(distinct user_id)                              as readers,
           count(*)                                             as sample_size,
           count(*) filter (where event_type = 'started')       as started,
           count(*) filter (where event_type = 'completed')     as completed,
           count(*) filter (where event_type = 'replayed')      as replayed,
           count(*) filter (where event_type = 'abandoned')     as abandoned
    from public.consumption_metrics
    where occurred_at >= p_window_start
    group by story_id
  ), rates as (
    select story_id, readers, sample_size,
           least(1.0, completed::float8 / greatest(started, completed, 1)) as completion_rate,
           least(1.0, replayed::float8 / greatest(completed, 1))           as replay_rate,
           least(1.0, abandoned::float8 / greatest(started, abandoned, 1)) as abandon_rate
    from stats
  ), written as (
    insert into public.story_effectiveness as se
      (story_id, effectiveness_score, completion_rate, replay_rate, abandon_rate, unique_readers, sample_size, window_start, calculated_at)
    select story_id,
           round((0.6 * completion_rate + 0.25 * replay_rate + 0.15 * (1 - abandon_rate))::numeric, 4)::float8,
           completion_rate, replay_rate, abandon_rate, readers, sample_size, p_window_start, now()
    from rates
    on conflict (story_id) do update set
      effectiveness_score = excluded.effectiveness_score,
      completion_rate     = excluded.completion_rate,
      replay_rate         = excluded.replay_rate,
      abandon_rate        = excluded.abandon_rate,
      unique_readers      = excluded.unique_readers,
      sample_size         = excluded.sample_size,
      window_start        = excluded.window_start,
      calculated_at       = excluded.calculated_at
    returning 1
  )
  select count(*)::integer from written;
$$;
