import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { MigrationError, StaleDatabaseError } from './errors.js';
import type { SqlClient } from './sql-client.js';

/** Where the Supabase CLI keeps migrations, relative to this file. */
export const migrationsDir = fileURLToPath(new URL('../../supabase/migrations/', import.meta.url));

const fileName = /^(\d{14})_([a-z0-9_]+)\.sql$/;

/** One migration file, named as the Supabase CLI names them: `<14-digit timestamp>_<name>.sql`. */
export interface Migration {
  readonly version: string;
  readonly name: string;
  readonly file: string;
}

/** Lists the migrations in version order; a file that does not follow the naming is an error, not skipped. */
export async function listMigrations(dir = migrationsDir): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort();
  return files.map((file) => {
    const match = fileName.exec(file);
    if (!match) throw new Error(`migration file ${file} is not named <YYYYMMDDHHMMSS>_<name>.sql`);
    return { version: match[1]!, name: match[2]!, file };
  });
}

/**
 * The curator's own record of what it applied, apart from the app's: the Supabase CLI keeps the app's history in
 * `supabase_migrations.schema_migrations`, and a version there that the app's migrations folder lacks makes the
 * app's next `supabase db push` refuse to run. Secured like every table of the curator's.
 */
const trackingTable = `
  create table if not exists public.curator_migrations (
    version     text primary key,
    name        text not null,
    applied_at  timestamptz not null default now()
  );
  alter table public.curator_migrations enable row level security;
  revoke all on table public.curator_migrations from public;
`;

/** Its grants, once the Supabase roles exist (the baseline creates them on a fresh database). */
const trackingGrants = `
  do $$
  begin
    if exists (select 1 from pg_roles where rolname = 'anon') then
      revoke all on table public.curator_migrations from anon, authenticated;
    end if;
    if exists (select 1 from pg_roles where rolname = 'service_role') then
      grant select, insert, update, delete on table public.curator_migrations to service_role;
      if not exists (select 1 from pg_policies where schemaname = 'public' and tablename = 'curator_migrations') then
        create policy service_role_all on public.curator_migrations as permissive for all to service_role using (true) with check (true);
      end if;
    end if;
  end
  $$;
`;

/** Versions of the migrations as they were before they were squashed into the baseline (never deployed). */
const squashedAway = /^2026112300\d{4}$/;

async function appliedVersions(sql: SqlClient): Promise<Set<string>> {
  const own = await sql.query<{ version: string }>('select version from public.curator_migrations');
  // A database the Supabase CLI migrated (`supabase db push`, for a project the curator has to itself) is adopted.
  const [cli] = await sql.query<{ present: boolean }>(`select to_regclass('supabase_migrations.schema_migrations') is not null as present`);
  const viaCli = cli?.present ? await sql.query<{ version: string }>('select version from supabase_migrations.schema_migrations') : [];
  const stale = viaCli.filter((row) => squashedAway.test(row.version));
  if (own.length === 0 && stale.length > 0) {
    throw new StaleDatabaseError(
      `this database was migrated before the curator's migrations were squashed into one baseline (it has ${stale.length} of the old ones, ` +
        `${stale[0]!.version} …); it cannot be brought forward: recreate it (for npm start --data-dir, delete the folder)`,
    );
  }
  return new Set([...own, ...viaCli].map((row) => row.version));
}

/**
 * Applies, in order and each in its own transaction, the migrations the database has not recorded yet, and records
 * them in `public.curator_migrations`: the deploy path for the app's Supabase project, whose own migration history
 * it never touches. Returns the versions applied (none on a second run).
 */
export async function applyMigrations(sql: SqlClient, dir = migrationsDir): Promise<string[]> {
  await sql.exec(trackingTable);
  await sql.exec(trackingGrants);
  const applied = await appliedVersions(sql);
  const done: string[] = [];
  for (const migration of await listMigrations(dir)) {
    if (applied.has(migration.version)) continue;
    const script = await readFile(`${dir}/${migration.file}`, 'utf8');
    try {
      await sql.transaction(async (tx) => {
        await tx.exec(script);
        await tx.query('insert into public.curator_migrations (version, name) values ($1, $2)', [migration.version, migration.name]);
      });
    } catch (cause) {
      throw new MigrationError(migration.file, { cause });
    }
    done.push(migration.version);
  }
  if (done.length > 0) await sql.exec(trackingGrants);
  return done;
}
