-- A crisis alert's one unconfirmed resend, taken for each of p_executions that has not had it (its send answered
-- unknown: it may have gone): answers the ids taken, which may be sent again now. The counter is the one
-- curator_record_decisions and curator_crisis_check take for a redelivery and the delayed check, so across every
-- path a crisis alert is sent at most twice.
create or replace function public.curator_take_resends(
  p_executions uuid[],
  p_now timestamptz
) returns uuid[]
language sql
volatile
set search_path = public, pg_temp
as $$
  with taken as (
    update public.pipeline_executions e
    set unconfirmed_resends = e.unconfirmed_resends + 1, updated_at = p_now
    where e.id = any(p_executions) and e.unconfirmed_resends < 1
    returning e.id
  )
  select coalesce(array_agg(id), '{}') from taken;
$$;
