-- The clinical review of one alert: marks a crisis alert or early intervention that went out (succeeded, or escalated
-- to a human) as a false positive, or undoes that mark, as a false_positive override linked to the execution (an undo
-- is a later row with details.undone = true; the latest row of an execution says whether the mark stands). Found by
-- execution id or by the app's signalId. Marking twice or undoing what is not marked writes nothing and says so.
-- outcome: marked | undone | already_marked | not_marked | not_found | ambiguous | not_an_alert | not_sent
create or replace function public.curator_mark_false_positive(
  p_id text,
  p_undo boolean,
  p_actor text,
  p_reason text,
  p_ticket text,
  p_now timestamptz
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_found integer;
  v_execution public.pipeline_executions;
  v_marked boolean;
  v_id uuid;
begin
  select count(*) into v_found from public.pipeline_executions e
  where (p_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' and e.id = p_id::uuid)
     or (e.period_key = p_id and e.pipeline_type in ('crisis_alert', 'early_intervention', 'story_failure', 'asset_timeout'));
  if v_found = 0 then return jsonb_build_object('outcome', 'not_found'); end if;
  if v_found > 1 then return jsonb_build_object('outcome', 'ambiguous', 'matches', v_found); end if;
  select * into v_execution from public.pipeline_executions e
  where (p_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' and e.id = p_id::uuid)
     or (e.period_key = p_id and e.pipeline_type in ('crisis_alert', 'early_intervention', 'story_failure', 'asset_timeout'))
  for update;
  if v_execution.pipeline_type not in ('crisis_alert', 'early_intervention') then
    return jsonb_build_object('outcome', 'not_an_alert', 'execution', to_jsonb(v_execution));
  end if;
  if v_execution.status not in ('succeeded', 'escalated') then
    return jsonb_build_object('outcome', 'not_sent', 'execution', to_jsonb(v_execution));
  end if;
  select not coalesce((o.details->>'undone')::boolean, false) into v_marked
  from public.human_overrides o
  where o.execution_id = v_execution.id and o.override_type = 'false_positive'
  order by o.occurred_at desc, o.seq desc
  limit 1;
  v_marked := coalesce(v_marked, false);
  if v_marked and not p_undo then return jsonb_build_object('outcome', 'already_marked', 'execution', to_jsonb(v_execution)); end if;
  if not v_marked and p_undo then return jsonb_build_object('outcome', 'not_marked', 'execution', to_jsonb(v_execution)); end if;
  insert into public.human_overrides (pipeline_type, override_type, actor, reason, ticket, details, execution_id, occurred_at)
  values (v_execution.pipeline_type, 'false_positive', p_actor, p_reason, p_ticket,
          jsonb_build_object('undone', p_undo, 'signal_id', v_execution.period_key), v_execution.id, p_now)
  returning id into v_id;
  return jsonb_build_object('outcome', case when p_undo then 'undone' else 'marked' end, 'override_id', v_id,
                            'execution', to_jsonb(v_execution));
end;
$$;
