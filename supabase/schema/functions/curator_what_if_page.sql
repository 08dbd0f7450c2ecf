-- One page of the recorded decisions `ops what-if` makes again: every decision in [p_from, p_to) of the pipelines
-- in p_job_types of the families with a user id in (p_after, p_through] (curator_what_if_bounds cuts them), each
-- family's in the order they were made, with the policies they point at. Rows are arrays (src/store/rows.ts,
-- whatIfRow) so a week of digests at 100,000 families is a few dozen calls; the range is one scan of the
-- (user_id, created_at) index. It answers json, not jsonb: built as text, the page costs half as much, and nothing
-- reads it inside the database.
create or replace function public.curator_what_if_page(
  p_from timestamptz,
  p_to timestamptz,
  p_job_types text[],
  p_after uuid,
  p_through uuid
) returns json
language sql
stable
set search_path = public, pg_temp
as $$
  with decisions as (
    select e.id, e.pipeline_type, e.subject_key, e.period_key, e.user_id, e.started_at, e.status, e.veto_reason,
           e.confidence_score, e.signal_count, e.policy_hash, e.decision_facts, e.trigger_data->>'child_id' as child_id
    from public.pipeline_executions e
    where e.user_id > coalesce(p_after, '00000000-0000-0000-0000-000000000000'::uuid)
      and e.user_id <= p_through
      and e.pipeline_type = any(p_job_types)
      and e.started_at >= p_from and e.started_at < p_to
  )
  select json_build_object(
    'rows', coalesce((
      select json_agg(json_build_array(
               d.id, d.pipeline_type, d.subject_key, d.period_key, d.user_id, d.started_at, d.status, d.veto_reason,
               d.confidence_score, d.signal_count, d.policy_hash, d.decision_facts, d.child_id)
             order by d.user_id, d.started_at, d.id)
      from decisions d), '[]'::json),
    'policies', coalesce((
      select json_object_agg(p.hash, p.policy)
      from public.decision_policies p
      where p.hash in (select distinct d.policy_hash from decisions d)), '{}'::json)
  );
$$;
