-- The executions of a pipeline created in [p_from, p_to] that a replay of held actions re-decides, a page at a time
-- after its (created_at, id) cursor: those vetoed for p_veto_reason, or, without one, those that failed or whose
-- outcome is unknown; and those the replay's own run (p_run_id) left failed or unknown when it failed, so the
-- redelivered replay finishes what it had taken up. A SQL function's body is planned without its arguments'
-- values, so each kind of target is its own branch stating its index's predicate (the vetoed ones along
-- (pipeline_type, veto_reason, created_at, id) where vetoed; the unfinished ones along (pipeline_type,
-- created_at); the replay's own along run_id), and a page reads its own rows instead of sorting everything after
-- the cursor.
create or replace function public.curator_replay_targets(
  p_job_type text,
  p_veto_reason text,
  p_from timestamptz,
  p_to timestamptz,
  p_user_ids uuid[],
  p_after_created_at timestamptz,
  p_after_id uuid,
  p_limit integer,
  p_run_id uuid default null
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  with held as (
    select e.id, e.created_at, e.period_key, e.subject_key, e.user_id, e.status, e.veto_reason, e.trigger_data,
           e.confidence_score, e.signal_count
    from public.pipeline_executions e
    where p_veto_reason is not null
      and e.vetoed
      and e.pipeline_type = p_job_type
      and e.veto_reason = p_veto_reason
      and e.created_at >= greatest(p_from, coalesce(p_after_created_at, p_from)) and e.created_at <= p_to
      and (e.created_at, e.id) > (coalesce(p_after_created_at, '-infinity'), coalesce(p_after_id, '00000000-0000-0000-0000-000000000000'))
      and (p_user_ids is null or e.user_id = any(p_user_ids))
    order by e.created_at, e.id
    limit p_limit
  ), unfinished as (
    select e.id, e.created_at, e.period_key, e.subject_key, e.user_id, e.status, e.veto_reason, e.trigger_data,
           e.confidence_score, e.signal_count
    from public.pipeline_executions e
    where p_veto_reason is null
      and e.status in ('failed', 'unknown')
      and e.pipeline_type = p_job_type
      and e.created_at >= greatest(p_from, coalesce(p_after_created_at, p_from)) and e.created_at <= p_to
      and (e.created_at, e.id) > (coalesce(p_after_created_at, '-infinity'), coalesce(p_after_id, '00000000-0000-0000-0000-000000000000'))
      and (p_user_ids is null or e.user_id = any(p_user_ids))
    order by e.created_at, e.id
    limit p_limit
  ), own as (
    select e.id, e.created_at, e.period_key, e.subject_key, e.user_id, e.status, e.veto_reason, e.trigger_data,
           e.confidence_score, e.signal_count
    from public.pipeline_executions e
    where e.run_id = p_run_id
      and e.status in ('failed', 'unknown')
      and e.pipeline_type = p_job_type
      and e.created_at >= greatest(p_from, coalesce(p_after_created_at, p_from)) and e.created_at <= p_to
      and (e.created_at, e.id) > (coalesce(p_after_created_at, '-infinity'), coalesce(p_after_id, '00000000-0000-0000-0000-000000000000'))
      and (p_user_ids is null or e.user_id = any(p_user_ids))
    order by e.created_at, e.id
    limit p_limit
  ), targets as (
    select * from held
    union
    select * from unfinished
    union
    select * from own
    order by created_at, id
    limit p_limit
  )
  select coalesce(jsonb_agg(to_jsonb(targets) order by targets.created_at, targets.id), '[]'::jsonb) from targets;
$$;
