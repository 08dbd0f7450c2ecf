-- The legal holds for `ops holds`: those in force, oldest first, with the ticket and who placed each (from the
-- legal_hold override that placed it); with p_released, the released ones too.
create or replace function public.curator_legal_holds(
  p_released boolean
) returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  select coalesce(jsonb_agg(jsonb_build_object(
           'user_id', h.user_id, 'reason', h.reason, 'placed_by', h.placed_by, 'placed_at', h.placed_at,
           'released_at', h.released_at, 'ticket', o.ticket, 'known_user', exists (select 1 from public.users u where u.id = h.user_id))
         order by h.placed_at, h.user_id), '[]'::jsonb)
  from public.legal_holds h
  left join lateral (
    select o.ticket from public.human_overrides o
    where o.override_type = 'legal_hold' and o.details ->> 'user_id' = h.user_id::text and o.occurred_at <= h.placed_at
    order by o.occurred_at desc limit 1
  ) o on true
  where p_released or h.released_at is null;
$$;
