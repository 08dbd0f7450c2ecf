-- How many active users there are, and the keys that cut them into shards of p_shard_size: shard i covers
-- (bounds[i-1], bounds[i]], the first from the start, the last to the end. One pass over the users' primary key.
create or replace function public.curator_digest_shard_bounds(p_shard_size integer)
returns jsonb
language plpgsql
stable
set search_path = public, pg_temp
as $$
begin
  if p_shard_size is null or p_shard_size < 1 then
    raise exception 'curator_digest_shard_bounds: p_shard_size must be at least 1, got %', p_shard_size;
  end if;
  return (
    with active as (
      select u.id, row_number() over (order by u.id) as n, count(*) over () as total
      from public.users u
      where u.is_active
    )
    select jsonb_build_object(
      'population', coalesce(max(total), 0),
      'bounds', coalesce(jsonb_agg(id::text order by id) filter (where n % p_shard_size = 0 and n < total), '[]'::jsonb))
    from active);
end;
$$;
