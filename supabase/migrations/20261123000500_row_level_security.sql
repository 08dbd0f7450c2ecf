-- Only the service role (the curator, the webhook, ops through the service key) reads and writes. Row level
-- security is on for every table, with no policy for anon or authenticated, and their table privileges are
-- revoked as well, so a leaked anon key reads nothing through PostgREST. A later migration that adds a table or
-- a function must do the same; test/integration/security.test.ts fails when one does not.
do $$
declare
  t record;
begin
  for t in select tablename from pg_tables where schemaname = 'public' loop
    execute format('alter table public.%I enable row level security', t.tablename);
    execute format('revoke all on table public.%I from public, anon, authenticated', t.tablename);
    execute format('grant select, insert, update, delete on table public.%I to service_role', t.tablename);
    execute format(
      'create policy service_role_all on public.%I as permissive for all to service_role using (true) with check (true)',
      t.tablename);
  end loop;
end
$$;

revoke all on all sequences in schema public from public, anon, authenticated;
grant usage, select on all sequences in schema public to service_role;

revoke execute on all functions in schema public from public, anon, authenticated;
grant execute on all functions in schema public to service_role;
