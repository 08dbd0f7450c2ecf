-- Replay targets by (created_at, id). See 20261123000600_curator_runs.sql for conventions.
--
-- The targets came oldest id first after `p_after is null or e.id > p_after`, under a CASE choosing between the two
-- kinds of target: in the generic plan a SQL function's body gets, neither could use an index, so each page read
-- every execution of the pipeline in the range and sorted it (quadratic over a large replay). Now each kind is its
-- own branch that states its index's predicate, and the cursor is the (created_at, id) the branch's index returns
-- rows in: the vetoed ones by (pipeline_type, veto_reason, created_at) where vetoed, the failed or unknown ones by
-- (pipeline_type, created_at).
--
-- The vetoed index gains id, so it returns held executions in exactly the cursor's order and a page stops after
-- its limit instead of sorting everything after the cursor. (Rebuilt inside the migration's transaction, so it
-- blocks writes to executions while it builds: run it outside the digest's hour.)
drop index public.pipeline_executions_vetoed;
create index pipeline_executions_vetoed on public.pipeline_executions (pipeline_type, veto_reason, created_at, id) where vetoed;

drop function public.curator_replay_targets(text, text, timestamptz, timestamptz, uuid[], uuid, integer);
create function public.curator_replay_targets(
  p_job_type text,
  p_veto_reason text,
  p_from timestamptz,
  p_to timestamptz,
  p_user_ids uuid[],
  p_after_created_at timestamptz,
  p_after_id uuid,
  p_limit integer
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
  ), targets as (
    select * from held
    union all
    select * from unfinished
  )
  select coalesce(jsonb_agg(to_jsonb(targets) order by targets.created_at, targets.id), '[]'::jsonb) from targets;
$$;

revoke execute on all functions in schema public from public, anon, authenticated;
grant execute on all functions in schema public to service_role;
