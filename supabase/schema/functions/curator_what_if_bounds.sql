-- Where `ops what-if` cuts the families of a window into pages: the last user id of every p_limit families with a
-- decision in [p_from, p_to) of the pipelines in p_job_types (the last one included), so the pages
-- (curator_what_if_page) can be read at once rather than each after the one before. Also counts the decisions with
-- no family (a signal for an account deleted since), which cannot be made again.
create or replace function public.curator_what_if_bounds(
  p_from timestamptz,
  p_to timestamptz,
  p_job_types text[],
  p_limit integer
) returns json
language sql
stable
set search_path = public, pg_temp
as $$
  with families as (
    select f.user_id, row_number() over (order by f.user_id) as n, count(*) over () as total
    from (select distinct e.user_id
          from public.pipeline_executions e
          where e.user_id is not null
            and e.pipeline_type = any(p_job_types)
            and e.started_at >= p_from and e.started_at < p_to) f
  )
  select json_build_object(
    'bounds', coalesce((select json_agg(f.user_id order by f.user_id) from families f where f.n % p_limit = 0 or f.n = f.total), '[]'::json),
    'without_family', (select count(*)::integer
                       from public.pipeline_executions e
                       where e.user_id is null and e.pipeline_type = any(p_job_types)
                         and e.started_at >= p_from and e.started_at < p_to));
$$;
