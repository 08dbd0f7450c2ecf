-- The hosted Supabase database already has these roles; a local Postgres (the CI server, PGlite) does not.
-- Creating them here lets every later migration grant and revoke against the same names everywhere.
-- service_role bypasses row level security on Supabase; it does here too, so the curator behaves the same.
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

-- Postgres grants EXECUTE on every new function to PUBLIC, and PostgREST exposes functions in public to
-- anon and authenticated. Stop that for functions this role creates from now on; each migration still revokes
-- explicitly, since default privileges only cover the role that runs the migration.
alter default privileges in schema public revoke execute on functions from public;
alter default privileges in schema public revoke execute on functions from anon, authenticated;
alter default privileges in schema public revoke all on tables from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;

grant usage on schema public to service_role;
