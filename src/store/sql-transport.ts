import type { SqlClient } from '../db/sql-client.js';
import { StoreError } from './errors.js';
import { sqlParameterName, type StoreFunction } from './functions.js';
import type { StoreTransport } from './transport.js';

const statements = new WeakMap<StoreFunction, string>();

/** `select public.fn(p_a => $1::type, ...)`, written once per declaration. */
function statementFor(fn: StoreFunction): string {
  let statement = statements.get(fn);
  if (statement === undefined) {
    const named = Object.entries(fn.params).map(([name, type], index) => `${sqlParameterName(name)} => $${index + 1}::${type}`);
    statement = fn.returns === 'rows' ? `select * from public.${fn.name}(${named.join(', ')})` : `select public.${fn.name}(${named.join(', ')}) as result`;
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
    async call(fn, args) {
      const values = Object.entries(fn.params).map(([name, type]) => {
        const value = args[name];
        if (value === undefined || value === null) return null;
        return type === 'jsonb' ? JSON.stringify(value) : value;
      });
      let rows: Record<string, unknown>[];
      try {
        rows = await sql.query<Record<string, unknown>>(statementFor(fn), values);
      } catch (error) {
        // As supabaseTransport does: the call's name first, the database's own error kept as the cause.
        throw new StoreError(`${fn.name} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      return fn.returns === 'rows' ? rows : (rows[0]?.result ?? null);
    },
  };
}
