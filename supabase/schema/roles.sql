-- The roles Supabase has: the hosted project already has them; a local Postgres (the CI server, PGlite) does not.
-- Created only where absent, so grants and revocations name the same roles everywhere. service_role bypasses row
-- level security on Supabase; it does here too, so the curator behaves the same.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
end
$$;

grant usage on schema public to service_role;
