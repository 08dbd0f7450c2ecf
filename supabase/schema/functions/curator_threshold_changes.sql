-- Who last changed each of these tunable parameters (keys relative to the parameter root, `daily-digest/min-confidence`)
-- and when: the latest threshold_change override whose details.parameter names it, with what it recorded (before,
-- after, approved_by). `ops thresholds` shows it beside the value in force.
create or replace function public.curator_threshold_changes(
  p_keys text[]
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  select coalesce(jsonb_agg(jsonb_build_object(
           'parameter', c.parameter, 'actor', c.actor, 'reason', c.reason, 'ticket', c.ticket,
           'occurred_at', c.occurred_at, 'details', c.details) order by c.parameter), '[]'::jsonb)
  from (
    select distinct on (o.details->>'parameter') o.details->>'parameter' as parameter, o.actor, o.reason, o.ticket, o.occurred_at, o.details
    from public.human_overrides o
    where o.override_type = 'threshold_change' and o.details->>'parameter' = any(p_keys)
    order by o.details->>'parameter', o.occurred_at desc, o.seq desc
  ) c;
$$;
