-- Hands a run on to its continuation, saving the cursor it reached: the next delivery takes it over at once. If
-- the continuation never comes, the lease runs out after p_grace_seconds and the health job resumes the run.
create or replace function public.curator_release_run(
  p_run_id uuid,
  p_owner text,
  p_grace_seconds integer,
  p_now timestamptz,
  p_cursor jsonb default null
) returns jsonb
language sql
volatile
set search_path = public, pg_temp
as $$
  with released as (
    update public.pipeline_runs
    set lease_owner = 'continuation', lease_expires_at = p_now + make_interval(secs => p_grace_seconds),
        cursor = coalesce(p_cursor, cursor), updated_at = p_now
    where id = p_run_id and lease_owner = p_owner and status = 'running'
    returning 1
  )
  select jsonb_build_object('released', exists (select 1 from released));
$$;
