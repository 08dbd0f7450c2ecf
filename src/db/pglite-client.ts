import type { PGlite, Transaction } from '@electric-sql/pglite';
import type { SqlClient } from './sql-client.js';

// Postgres type oids of int8 and numeric: parsed to numbers, as the pg client does.
const parsers = {
  20: (value: string) => Number(value),
  1700: (value: string) => Number(value),
};

type Queryable = Pick<PGlite, 'query' | 'exec'> | Transaction;

function wrap(target: Queryable, owner: PGlite | null): SqlClient {
  return {
    async query<Row>(text: string, params: readonly unknown[] = []) {
      const result = await target.query<Row>(text, params as unknown[], { parsers });
      return result.rows;
    },
    async exec(script: string) {
      await target.exec(script);
    },
    async transaction<T>(work: (tx: SqlClient) => Promise<T>) {
      if (owner === null) {
        // PGlite has one connection; a nested transaction would deadlock it, so run inline.
        return work(wrap(target, null));
      }
      return owner.transaction((tx) => work(wrap(tx, null)));
    },
    async close() {
      if (owner !== null) await owner.close();
    },
  };
}

/**
 * Opens an embedded Postgres 17 (PGlite). In memory unless `dataDir` names a folder to keep it in.
 *
 * @example
 * const sql = await openPglite();
 * await applyMigrations(sql);
 */
export async function openPglite(dataDir?: string): Promise<SqlClient> {
  // Imported when first used, so a bundle that never opens an embedded database never loads it.
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(dataDir === undefined ? {} : { dataDir });
  return wrap(db, db);
}
