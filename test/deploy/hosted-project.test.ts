import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MigrationError } from '../../src/db/errors.js';
import { applyMigrations } from '../../src/db/migrate.js';
import { openPostgres } from '../../src/db/postgres-client.js';
import type { SqlClient } from '../../src/db/sql-client.js';

/**
 * The deploy path, on a database prepared like the app's hosted Supabase project: the Supabase roles exist, the
 * owner is not a superuser (CREATEROLE, BYPASSRLS, and Supabase's default privileges granting new tables and
 * functions to anon, authenticated and service_role), and the app already has its tables, a function and a
 * migration history of its own. Needs the Postgres server (DATABASE_URL, a superuser, to make the roles and the
 * databases): `npm run test:deploy`, run by .ci/run.
 */
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const owner = 'curator_deploy_owner';
let admin: SqlClient;
const made: string[] = [];

function urlOf(database: string, role = owner): string {
  const url = new URL(serverUrl);
  url.username = role;
  url.password = '';
  url.pathname = `/${database}`;
  return url.toString();
}

/** A database owned by the hosted-like owner, with Supabase's default privileges for what the owner creates. */
async function hostedLike(): Promise<{ name: string; sql: SqlClient }> {
  const name = `curator_deploy_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  await admin.exec(`create database ${name} owner ${owner}`);
  made.push(name);
  const sql = openPostgres({ connectionString: urlOf(name), maxConnections: 2 });
  await sql.exec(`
    grant usage on schema public to anon, authenticated, service_role;
    alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
    alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
    alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
  `);
  return { name, sql };
}

/** The app's own objects, as its migrations would have made them. */
async function appSchema(sql: SqlClient, options: { withoutColumns?: boolean } = {}): Promise<void> {
  await sql.exec(`
    create table public.users (
      id uuid primary key default gen_random_uuid(),
      email text not null unique,
      first_name text,
      ${options.withoutColumns ? '' : 'stripe_customer_id text, is_active boolean not null default true,'}
      avatar_url text,
      created_at timestamptz not null default now()
    );
    create table public.stories (id uuid primary key default gen_random_uuid(), ${options.withoutColumns ? 'name' : 'title'} text not null);
    create table public.organizations (id uuid primary key default gen_random_uuid(), name text not null);
    create table public.organization_members (
      organization_id uuid not null references public.organizations (id), user_id uuid not null references public.users (id),
      role text not null, primary key (organization_id, user_id));
    create table public.email_preferences (user_id uuid not null references public.users (id), email_type text not null, enabled boolean not null,
      primary key (user_id, email_type));
    create table public.app_profiles (id uuid primary key default gen_random_uuid(), bio text);
    create function public.app_profile_count() returns bigint language sql as $$ select count(*) from public.app_profiles $$;
    create schema supabase_migrations;
    create table supabase_migrations.schema_migrations (version text primary key, statements text[], name text);
    insert into supabase_migrations.schema_migrations (version, name) values ('20240101000000', 'app_init'), ('20240301000000', 'app_profiles');
  `);
}

const one = async <T>(sql: SqlClient, text: string, params: unknown[] = []) => (await sql.query<T>(text, params))[0]!;
const privilege = (sql: SqlClient, check: string) => one<{ ok: boolean }>(sql, `select ${check} as ok`).then((row) => row.ok);

function supabaseCli(...args: string[]) {
  return spawnSync('npx', ['supabase', ...args], { encoding: 'utf8', env: { ...process.env, DO_NOT_TRACK: '1' } });
}

beforeAll(async () => {
  admin = openPostgres({ connectionString: serverUrl, maxConnections: 1 });
  await admin.exec(`
    do $$
    begin
      if not exists (select 1 from pg_roles where rolname = 'anon') then create role anon nologin noinherit; end if;
      if not exists (select 1 from pg_roles where rolname = 'authenticated') then create role authenticated nologin noinherit; end if;
      if not exists (select 1 from pg_roles where rolname = 'service_role') then create role service_role nologin noinherit bypassrls; end if;
      if not exists (select 1 from pg_roles where rolname = '${owner}') then create role ${owner} login createrole bypassrls; end if;
    end
    $$;
  `);
});
afterAll(async () => {
  for (const name of made) await admin.exec(`drop database if exists ${name} with (force)`);
  await admin?.close();
});

describe("the curator's migrations on the app's Supabase project (npm run migrate)", () => {
  let db: { name: string; sql: SqlClient };
  beforeAll(async () => {
    db = await hostedLike();
    await appSchema(db.sql);
  });
  afterAll(async () => {
    await db?.sql.close();
  });

  it('apply as the owner, who is no superuser', async () => {
    expect(await one<{ rolsuper: boolean }>(db.sql, `select rolsuper from pg_roles where rolname = current_user`)).toEqual({ rolsuper: false });
    expect(await applyMigrations(db.sql)).toEqual(['20261201000000']);
  });

  it("leave the app's tables as they were: row level security off, the app's grants kept", async () => {
    for (const table of ['users', 'stories', 'app_profiles', 'email_preferences']) {
      expect(await one(db.sql, `select relrowsecurity from pg_class where oid = $1::regclass`, [`public.${table}`]), table).toEqual({ relrowsecurity: false });
      expect(await privilege(db.sql, `has_table_privilege('anon', 'public.${table}', 'select')`), table).toBe(true);
      expect(await privilege(db.sql, `has_table_privilege('authenticated', 'public.${table}', 'insert')`), table).toBe(true);
    }
    const policies = await db.sql.query(`select tablename from pg_policies where tablename in ('users', 'stories', 'app_profiles', 'organizations', 'organization_members', 'email_preferences')`);
    expect(policies).toEqual([]);
  });

  it("leave the app's function executable by anon, and the app's migration history alone", async () => {
    expect(await privilege(db.sql, `has_function_privilege('anon', 'public.app_profile_count()', 'execute')`)).toBe(true);
    const history = await db.sql.query(`select version from supabase_migrations.schema_migrations order by version`);
    expect(history).toEqual([{ version: '20240101000000' }, { version: '20240301000000' }]);
  });

  it('change no default privileges: what the app creates after is still granted as Supabase grants it', async () => {
    await db.sql.exec(`
      create function public.app_created_after() returns int language sql as $$ select 1 $$;
      create table public.app_table_after (id int primary key);
    `);
    expect(await privilege(db.sql, `has_function_privilege('anon', 'public.app_created_after()', 'execute')`)).toBe(true);
    expect(await privilege(db.sql, `has_table_privilege('anon', 'public.app_table_after', 'select')`)).toBe(true);
  });

  it("secure the curator's own tables and functions: service_role only", async () => {
    for (const table of ['pipeline_runs', 'pipeline_executions', 'reward_ledger', 'stripe_invoices', 'reward_applications', 'stripe_webhook_events', 'family_time_zones', 'curator_migrations']) {
      expect(await one(db.sql, `select relrowsecurity from pg_class where oid = $1::regclass`, [`public.${table}`]), table).toEqual({ relrowsecurity: true });
      expect(await privilege(db.sql, `has_table_privilege('anon', 'public.${table}', 'select')`), table).toBe(false);
      expect(await privilege(db.sql, `has_table_privilege('service_role', 'public.${table}', 'select')`), table).toBe(true);
    }
    expect(await privilege(db.sql, `has_function_privilege('anon', 'public.curator_record_decisions(uuid, text, text, text, jsonb, bigint, text, boolean, timestamptz, jsonb, uuid, jsonb, jsonb)', 'execute')`)).toBe(false);
    expect(await privilege(db.sql, `has_function_privilege('anon', 'public.curator_apply_stripe_invoice(text, text, text, text, integer, timestamptz, timestamptz)', 'execute')`)).toBe(false);
    // The app's backend sets where a family is with the service role; a signed-in user cannot move their own quiet hours.
    expect(await privilege(db.sql, `has_function_privilege('authenticated', 'public.curator_set_family_time_zone(uuid, text, text, text, timestamptz)', 'execute')`)).toBe(false);
    expect(await privilege(db.sql, `has_function_privilege('service_role', 'public.curator_set_family_time_zone(uuid, text, text, text, timestamptz)', 'execute')`)).toBe(true);
    expect(await privilege(db.sql, `has_function_privilege('authenticated', 'public.curator_acquire_run(text, text, text, text, integer, timestamptz, text, timestamptz, jsonb)', 'execute')`)).toBe(false);
  });

  it('apply nothing the second time', async () => {
    expect(await applyMigrations(db.sql)).toEqual([]);
  });
});

describe("the curator's migrations on an app missing what the curator reads", () => {
  it('fail naming every missing column, and create nothing', async () => {
    const db = await hostedLike();
    try {
      await appSchema(db.sql, { withoutColumns: true });
      const failure = await applyMigrations(db.sql).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(MigrationError);
      expect((failure as Error).message).toMatch(/the app's tables lack what the curator reads: stories\.title \(text\), users\.is_active \(boolean\), users\.stripe_customer_id \(text\)/);
      expect(await one(db.sql, `select to_regclass('public.pipeline_runs') as table`)).toEqual({ table: null });
    } finally {
      await db.sql.close();
    }
  });
});

describe('the Supabase CLI on a project the curator has to itself', () => {
  it('pushes the baseline with db push, then says it is up to date; npm run migrate then adopts it', async () => {
    const db = await hostedLike();
    try {
      const url = `${urlOf(db.name)}?sslmode=disable`;
      const first = supabaseCli('db', 'push', '--db-url', url, '--yes');
      expect(first.status, first.stderr + first.stdout).toBe(0);
      expect(first.stdout + first.stderr).toContain('Applying migration 20261201000000_curator_schema.sql');
      const second = supabaseCli('db', 'push', '--db-url', url, '--yes');
      expect(second.stdout + second.stderr).toContain('Remote database is up to date');
      // The CLI reads supabase/config.toml for every command; a broken one fails it.
      const listed = supabaseCli('migration', 'list', '--db-url', url);
      expect(listed.status, listed.stderr).toBe(0);
      expect(await applyMigrations(db.sql)).toEqual([]);
    } finally {
      await db.sql.close();
    }
  });
});
