import type { SqlClient } from '../db/sql-client.js';
import { storeFunctions, type StoreArgs, type StoreFunction } from './functions.js';
import type { StoreTransport } from './transport.js';

const statements = new Map<StoreFunction, string>();

function statementFor(fn: StoreFunction): string {
  let statement = statements.get(fn);
  if (statement === undefined) {
    const { params, returns } = storeFunctions[fn];
    const named = Object.entries(params).map(([name, type], index) => `${name} => $${index + 1}::${type}`);
    statement =
      returns === 'rows'
        ? `select * from public.${fn}(${named.join(', ')})`
        : `select public.${fn}(${named.join(', ')}) as result`;
    statements.set(fn, statement);
  }
  return statement;
}

/**
 * Calls the store's SQL functions over a SQL connection (PGlite or a Postgres server).
 *
 * @example
 * const store = new CuratorStore(sqlTransport(await openPglite()));
 */
export function sqlTransport(sql: SqlClient): StoreTransport {
  return {
    async call<F extends StoreFunction>(fn: F, args: StoreArgs<F>) {
      const { params, returns } = storeFunctions[fn];
      const values = Object.entries(params).map(([name, type]) => {
        const value = (args as Record<string, unknown>)[name];
        if (value === undefined || value === null) return null;
        return type === 'jsonb' ? JSON.stringify(value) : value;
      });
      const rows = await sql.query<Record<string, unknown>>(statementFor(fn), values);
      return returns === 'rows' ? rows : (rows[0]?.result ?? null);
    },
  };
}
