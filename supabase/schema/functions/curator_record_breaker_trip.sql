-- Records that the complaint breaker turned a pipeline off (a breaker_disable override, actor 'curator'), once per
-- spell: when the pipeline already has a trip since its last kill_switch_enable, nothing is written and the answer
-- says so, so two webhook invocations seeing the same spike page once. Serialised per pipeline by an advisory lock.
create or replace function public.curator_record_breaker_trip(
  p_pipeline_type text,
  p_reason text,
  p_details jsonb,
  p_now timestamptz
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_id uuid;
begin
  perform pg_advisory_xact_lock(hashtext('curator_breaker:' || p_pipeline_type));
  if exists (
    select 1 from public.human_overrides o
    where o.pipeline_type = p_pipeline_type and o.override_type = 'breaker_disable'
      and o.occurred_at >= coalesce((select max(e.occurred_at) from public.human_overrides e
                                     where e.pipeline_type = p_pipeline_type and e.override_type = 'kill_switch_enable'),
                                    '-infinity'::timestamptz)
  ) then
    return jsonb_build_object('recorded', false, 'id', null);
  end if;
  insert into public.human_overrides (pipeline_type, override_type, actor, reason, details, occurred_at)
  values (p_pipeline_type, 'breaker_disable', 'curator', p_reason, coalesce(p_details, '{}'::jsonb), p_now)
  returning id into v_id;
  return jsonb_build_object('recorded', true, 'id', v_id);
end;
$$;
