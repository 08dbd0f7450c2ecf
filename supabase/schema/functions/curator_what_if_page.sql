-- One page of the recorded decisions `ops what-if` makes again: every decision in [p_from, p_to) of the pipelines
-- in p_job_types for the next p_limit families after p_after (user id order), each family's in the order they
-- were made, with the policies they point at. Rows are arrays (src/what-if/recorded.ts reads them) so a week of
-- digests at 100,000 families is a few dozen calls. The first page also counts the decisions with no family
-- (a signal for an account deleted since), which cannot be made again.
create or replace function public.curator_what_if_page(
  p_from timestamptz,
  p_to timestamptz,
  p_job_types text[],
  p_after uuid,
  p_limit integer
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  with families as (
    select distinct e.user_id
    from public.pipeline_executions e
    where e.user_id > coalesce(p_after, '00000000-0000-0000-0000-000000000000'::uuid)
      and e.pipeline_type = any(p_job_types)
      and e.started_at >= p_from and e.started_at < p_to
    order by e.user_id
    limit p_limit
  ), decisions as (
    select e.*
    from public.pipeline_executions e
    join families f on f.user_id = e.user_id
    where e.pipeline_type = any(p_job_types)
      and e.started_at >= p_from and e.started_at < p_to
  )
  select jsonb_build_object(
    'last', (select f.user_id from families f order by f.user_id desc limit 1),
    'rows', coalesce((
      select jsonb_agg(jsonb_build_array(
               d.id, d.pipeline_type, d.subject_key, d.period_key, d.user_id, d.started_at, d.status, d.veto_reason,
               d.confidence_score, d.signal_count, d.policy_hash, d.decision_facts, d.trigger_data->>'child_id')
             order by d.user_id, d.started_at, d.id)
      from decisions d), '[]'::jsonb),
    'policies', coalesce((
      select jsonb_object_agg(p.hash, p.policy)
      from public.decision_policies p
      where p.hash in (select distinct d.policy_hash from decisions d)), '{}'::jsonb),
    'without_family', case when p_after is null then (
      select count(*)::integer
      from public.pipeline_executions e
      where e.user_id is null and e.pipeline_type = any(p_job_types)
        and e.started_at >= p_from and e.started_at < p_to) end
  );
$$;
