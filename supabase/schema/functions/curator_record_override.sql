-- Records one ops action and returns the row.
create or replace function public.curator_record_override(
  p_pipeline_type text,
  p_override_type text,
  p_actor text,
  p_reason text,
  p_ticket text,
  p_details jsonb,
  p_now timestamptz
) returns jsonb
language sql
volatile
set search_path = public, pg_temp
as $$
  insert into public.human_overrides (pipeline_type, override_type, actor, reason, ticket, details, occurred_at)
  values (p_pipeline_type, p_override_type, p_actor, p_reason, p_ticket, coalesce(p_details, '{}'::jsonb), p_now)
  returning to_jsonb(human_overrides.*);
$$;
