-- The emails quiet hours held for a pipeline whose time to go has come (held_until at or before p_now), a page at a
-- time in the order they came due, after the release's (held_until, id) cursor: what the quiet-hours release
-- decides again (src/runner/jobs/release.ts). Reads only held rows, along pipeline_executions_held_until.
create or replace function public.curator_release_targets(
  p_job_type text,
  p_now timestamptz,
  p_after_held_until timestamptz,
  p_after_id uuid,
  p_limit integer
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  with due as (
    select e.id, e.created_at, e.period_key, e.subject_key, e.user_id, e.status, e.veto_reason, e.trigger_data,
           e.confidence_score, e.signal_count, e.held_until
    from public.pipeline_executions e
    where e.status = 'vetoed' and e.veto_reason = 'QUIET_HOURS'
      and e.pipeline_type = p_job_type
      and e.held_until <= p_now
      and (e.held_until, e.id) > (coalesce(p_after_held_until, '-infinity'), coalesce(p_after_id, '00000000-0000-0000-0000-000000000000'))
    order by e.held_until, e.id
    limit p_limit
  )
  select coalesce(jsonb_agg(to_jsonb(due) order by due.held_until, due.id), '[]'::jsonb) from due;
$$;
