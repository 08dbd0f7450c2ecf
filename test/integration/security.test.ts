import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asRole as asRoleIn, openTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let tables: string[];
let functions: Array<{ oid: number; signature: string }>;

beforeAll(async () => {
  db = await openTestDatabase();
  tables = (
    await db.sql.query<{ name: string }>(
      `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1`,
    )
  ).map((row) => row.name);
  functions = await db.sql.query<{ oid: number; signature: string }>(
    `select p.oid::int as oid, p.oid::regprocedure::text as signature
     from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public' order by 2`,
  );
});
afterAll(async () => {
  await db?.close();
});

const asRole = (role: string, statement: string) => asRoleIn(db.sql, role, statement);

describe('row level security', () => {
  it('is on for every table in public', async () => {
    const off = await db.sql.query<{ relname: string }>(
      `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity`,
    );
    expect(tables.length).toBeGreaterThanOrEqual(16);
    expect(off).toEqual([]);
  });

  it.each(['anon', 'authenticated'])('lets %s read and write no table', async (role) => {
    for (const table of tables) {
      expect((await asRole(role, `select * from public.${table} limit 1`))?.message, `select ${table}`).toMatch(
        /permission denied/,
      );
      expect((await asRole(role, `delete from public.${table}`))?.message, `delete ${table}`).toMatch(/permission denied/);
    }
  });

  it('lets service_role read every table', async () => {
    for (const table of tables) {
      expect(await asRole('service_role', `select * from public.${table} limit 1`), table).toBeNull();
    }
  });
});

describe('function privileges', () => {
  it('grant EXECUTE on no function to PUBLIC, anon or authenticated', async () => {
    expect(functions.length).toBeGreaterThanOrEqual(6);
    const callable = await db.sql.query<{ signature: string; role: string }>(
      `select p.oid::regprocedure::text as signature, r.role
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       cross join (values ('anon'), ('authenticated')) as r(role)
       where n.nspname = 'public' and has_function_privilege(r.role, p.oid, 'EXECUTE')
       union all
       select p.oid::regprocedure::text, 'PUBLIC'
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'public' and (p.proacl is null or exists (
         select 1 from aclexplode(p.proacl) a where a.grantee = 0 and a.privilege_type = 'EXECUTE'))`,
    );
    expect(callable).toEqual([]);
  });

  it('refuse anon a call to should_send_email() and calculate_user_credits()', async () => {
    const policy = `'{"critical":false,"typeCap":null,"nonCriticalCaps":[],"familyCapped":true,"uncappedEmailTypes":[]}'::jsonb`;
    const user = `'00000000-0000-0000-0000-000000000000'::uuid`;
    expect((await asRole('anon', `select public.should_send_email(${user}, 'daily_digest', ${policy})`))?.message).toMatch(
      /permission denied for function should_send_email/,
    );
    expect((await asRole('anon', `select public.calculate_user_credits(${user})`))?.message).toMatch(
      /permission denied for function calculate_user_credits/,
    );
  });

  it('let service_role call every function', async () => {
    const denied = await db.sql.query(
      `select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'public' and not has_function_privilege('service_role', p.oid, 'EXECUTE')`,
    );
    expect(denied).toEqual([]);
  });
});
