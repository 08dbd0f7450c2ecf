import { randomUUID } from 'node:crypto';
import { applyMigrations } from '../../src/db/migrate.js';
import { openPglite } from '../../src/db/pglite-client.js';
import { openPostgres } from '../../src/db/postgres-client.js';
import type { SqlClient } from '../../src/db/sql-client.js';

/** A migrated database of its own for one test file. */
export interface TestDatabase {
  readonly sql: SqlClient;
  readonly kind: 'pglite' | 'postgres';
  /** Connection string of this database (server only), for a second pool or psql. */
  readonly url: string | null;
  close(): Promise<void>;
}

/**
 * Opens an empty, migrated database: PGlite in memory by default, or a new database on the server named by
 * `DATABASE_URL` (dropped on close), so test files can run in parallel without seeing each other's rows.
 */
export async function openTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const sql = await openPglite();
    await applyMigrations(sql);
    return { sql, kind: 'pglite', url: null, close: () => sql.close() };
  }

  const name = `curator_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = openPostgres({ connectionString: serverUrl, maxConnections: 1 });
  await admin.exec(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const sql = openPostgres({ connectionString: url.toString(), maxConnections: 4 });
  try {
    await applyMigrations(sql);
  } catch (error) {
    await sql.close();
    await admin.exec(`drop database if exists ${name} with (force)`);
    await admin.close();
    throw error;
  }
  return {
    sql,
    kind: 'postgres',
    url: url.toString(),
    async close() {
      await sql.close();
      // pool.end() resolves before its sockets are closed; give them a moment rather than killing them.
      for (let attempt = 0; attempt < 50; attempt += 1) {
        const [row] = await admin.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
        if (row?.n === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await admin.exec(`drop database if exists ${name} with (force)`);
      await admin.close();
    },
  };
}

class RolledBack extends Error {}

/** Runs `statement` as `role` in a transaction that is always rolled back; answers the error it met, or null. */
export async function asRole(sql: SqlClient, role: string, statement: string): Promise<Error | null> {
  try {
    await sql.transaction(async (tx) => {
      await tx.exec(`set local role ${role}`);
      await tx.query(statement);
      throw new RolledBack();
    });
    return null;
  } catch (error) {
    return error instanceof RolledBack ? null : (error as Error);
  }
}
