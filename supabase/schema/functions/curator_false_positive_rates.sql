-- The false-positive rate of the alert pipelines the clinical team reviews, over executions created in
-- [p_since, p_until): alerts that went out (succeeded, or escalated to a human) and how many of them stand marked
-- false (the latest false_positive override of the execution is not an undo). One row per pipeline, also without
-- alerts (rate null). The FalsePositiveRate metric and the morning email read this; runbooks/database-queries.md
-- has the same query to run by hand.
create or replace function public.curator_false_positive_rates(
  p_since timestamptz,
  p_until timestamptz
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  with pipelines(pipeline_type) as (values ('crisis_alert'), ('early_intervention')),
  alerts as (
    select e.id, e.pipeline_type from public.pipeline_executions e
    where e.pipeline_type in ('crisis_alert', 'early_intervention') and e.status in ('succeeded', 'escalated')
      and e.created_at >= p_since and e.created_at < p_until
  ), reviews as (
    select distinct on (o.execution_id) o.execution_id, not coalesce((o.details->>'undone')::boolean, false) as stands
    from public.human_overrides o join alerts a on a.id = o.execution_id
    where o.override_type = 'false_positive'
    order by o.execution_id, o.occurred_at desc, o.seq desc
  )
  select jsonb_agg(jsonb_build_object(
           'pipeline_type', p.pipeline_type,
           'alerts', coalesce(c.alerts, 0),
           'false_positives', coalesce(c.false_positives, 0),
           'rate_percent', case when coalesce(c.alerts, 0) = 0 then null
                                else round(100.0 * c.false_positives / c.alerts, 2) end)
         order by p.pipeline_type)
  from pipelines p
  left join (
    select a.pipeline_type, count(*) as alerts, count(*) filter (where r.stands) as false_positives
    from alerts a left join reviews r on r.execution_id = a.id
    group by a.pipeline_type
  ) c on c.pipeline_type = p.pipeline_type;
$$;
