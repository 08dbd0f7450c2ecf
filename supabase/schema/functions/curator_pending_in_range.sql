-- The pending executions of a run whose subject lies in a shard's range (after_key, through_key].
create or replace function public.curator_pending_in_range(p_run_id uuid, p_after_key text, p_through_key text)
returns uuid[]
language sql
stable
set search_path = public, pg_temp
as $$
  select array(
    select e.id from public.pipeline_executions e
    where e.run_id = p_run_id and e.status = 'pending'
      and (p_after_key is null or e.subject_key > p_after_key)
      and (p_through_key is null or e.subject_key <= p_through_key));
$$;
