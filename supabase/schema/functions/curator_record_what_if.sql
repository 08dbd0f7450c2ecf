-- Keeps one what-if report (see what_if_reports) and answers its id.
create or replace function public.curator_record_what_if(
  p_now timestamptz,
  p_scope text,
  p_overrides jsonb,
  p_days integer,
  p_report jsonb
) returns jsonb
language sql
volatile
set search_path = public, pg_temp
as $$
  insert into public.what_if_reports (requested_at, scope, overrides, days, report)
  values (p_now, p_scope, p_overrides, p_days, p_report)
  returning jsonb_build_object('id', id);
$$;
