-- Records as `superseded` the held emails of p_ids that are still held for quiet hours: their pipeline's next firing
-- has come (the release decides which), so they are never sent late. They keep held_until, the time they were
-- waiting for, and stop being vetoes. Returns how many it superseded (one already released or superseded is left).
create or replace function public.curator_supersede_held(
  p_ids uuid[],
  p_now timestamptz
) returns integer
language sql
volatile
set search_path = public, pg_temp
as $$
  with superseded as (
    update public.pipeline_executions e
    set status = 'superseded', vetoed = false, veto_reason = null, completed_at = p_now, updated_at = p_now
    where e.id = any(p_ids) and e.status = 'vetoed' and e.veto_reason = 'QUIET_HOURS'
    returning 1
  )
  select count(*)::integer from superseded;
$$;
