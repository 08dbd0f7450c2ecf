import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlParameterName, storeFunctions, type SqlType } from '../../src/store/functions.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

/** How Postgres names each declared type. */
const postgresType: Record<SqlType, string> = {
  text: 'text',
  integer: 'integer',
  bigint: 'bigint',
  boolean: 'boolean',
  uuid: 'uuid',
  timestamptz: 'timestamp with time zone',
  jsonb: 'jsonb',
  'text[]': 'text[]',
  'uuid[]': 'uuid[]',
};

describe('the store function declarations', () => {
  it.each(Object.entries(storeFunctions))('%s matches the function the migration creates: name, parameters, types, order', async (_key, fn) => {
    const rows = await db.sql.query<{ names: string[] | null; types: string[] }>(
      `select p.proargnames as names, array(select format_type(t, null) from unnest(p.proargtypes) t) as types
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'public' and p.proname = $1`,
      [fn.name],
    );
    expect(rows, `${fn.name} is defined exactly once`).toHaveLength(1);
    const declared = Object.entries(fn.params);
    expect((rows[0]!.names ?? []).slice(0, rows[0]!.types.length)).toEqual(declared.map(([name]) => sqlParameterName(name)));
    expect(rows[0]!.types).toEqual(declared.map(([, type]) => postgresType[type]));
  });
});
