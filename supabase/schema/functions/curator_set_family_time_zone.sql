-- Sets where a family is, for the app's backend (service role): `p_time_zone` an IANA name as pg_timezone_names
-- knows it (`Asia/Kolkata`), and optionally the family's own quiet hours as `HH:MM` (both or neither; start = end
-- means none; start after end wraps midnight). Without a window the family keeps the environment's default one. A
-- null zone removes the row: the family is back to no quiet hours. Refused, by name and with the field in the message
-- (SQLSTATE 22023): an abbreviation (`EST`, `IST`: several zones, or none with summer time), a POSIX offset (`UTC+5`,
-- `Etc/GMT+5`, which Postgres reads with the sign inverted), a name that is not Area/Location, a name Postgres does
-- not know (with the right spelling when only the case is wrong), a time that is not HH:MM, an unknown user. Returns
-- the row as stored, with `outcome` `set` or `removed`.
create or replace function public.curator_set_family_time_zone(
  p_user_id uuid,
  p_time_zone text,
  p_quiet_start text default null,
  p_quiet_end text default null,
  p_now timestamptz default now()
) returns jsonb
language plpgsql
volatile
set search_path = public, pg_temp
as $$
declare
  v_zone text := btrim(p_time_zone);
  v_spelled text;
  v_hhmm constant text := '^([01][0-9]|2[0-3]):[0-5][0-9]$';
begin
  if p_user_id is null or not exists (select 1 from public.users u where u.id = p_user_id) then
    raise exception using errcode = '22023', message = format('user_id: no user %s', coalesce(p_user_id::text, 'null'));
  end if;
  if v_zone is null or v_zone = '' then
    delete from public.family_time_zones where user_id = p_user_id;
    return jsonb_build_object('outcome', 'removed', 'user_id', p_user_id);
  end if;
  if v_zone ~ '[+-][0-9]' then
    raise exception using errcode = '22023', message = format(
      'time_zone: %s is a POSIX offset, which Postgres reads with the sign inverted (UTC+5 is five hours west of Greenwich); give the IANA name of the place, e.g. Asia/Karachi',
      quote_literal(v_zone));
  end if;
  if v_zone not in ('UTC', 'Etc/UTC') and exists (select 1 from pg_timezone_abbrevs a where upper(a.abbrev) = upper(v_zone)) then
    raise exception using errcode = '22023', message = format(
      'time_zone: %s is an abbreviation, which names several zones or none that keeps summer time; give the IANA name, e.g. America/New_York or Asia/Kolkata',
      quote_literal(v_zone));
  end if;
  if v_zone not in ('UTC', 'Etc/UTC') and (v_zone !~ '^[A-Za-z]+/[A-Za-z0-9_/+-]+$' or v_zone ~* '^(posix|right|SystemV)/') then
    raise exception using errcode = '22023', message = format(
      'time_zone: %s is not an Area/Location name of the IANA time zone database, e.g. Europe/London', quote_literal(v_zone));
  end if;
  if not exists (select 1 from pg_timezone_names n where n.name = v_zone) then
    select n.name into v_spelled from pg_timezone_names n where lower(n.name) = lower(v_zone) limit 1;
    raise exception using errcode = '22023', message = format('time_zone: %s is not a time zone Postgres knows (pg_timezone_names)%s',
      quote_literal(v_zone), case when v_spelled is null then '' else format('; did you mean %s?', v_spelled) end);
  end if;
  if (p_quiet_start is null) <> (p_quiet_end is null) then
    raise exception using errcode = '22023', message = 'quiet_start, quiet_end: give both, or neither for the default window';
  end if;
  if p_quiet_start is not null and btrim(p_quiet_start) !~ v_hhmm then
    raise exception using errcode = '22023', message = format('quiet_start: must be HH:MM from 00:00 to 23:59, got %s', quote_literal(p_quiet_start));
  end if;
  if p_quiet_end is not null and btrim(p_quiet_end) !~ v_hhmm then
    raise exception using errcode = '22023', message = format('quiet_end: must be HH:MM from 00:00 to 23:59, got %s', quote_literal(p_quiet_end));
  end if;
  insert into public.family_time_zones as f (user_id, time_zone, quiet_start, quiet_end, updated_at)
  values (p_user_id, v_zone, btrim(p_quiet_start)::time, btrim(p_quiet_end)::time, p_now)
  on conflict (user_id) do update
    set time_zone = excluded.time_zone, quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end, updated_at = excluded.updated_at;
  return jsonb_build_object('outcome', 'set', 'user_id', p_user_id, 'time_zone', v_zone,
                            'quiet_start', to_char(btrim(p_quiet_start)::time, 'HH24:MI'), 'quiet_end', to_char(btrim(p_quiet_end)::time, 'HH24:MI'));
end;
$$;
