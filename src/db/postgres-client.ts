import pg from 'pg';
import type { SqlClient } from './sql-client.js';

const { Pool, types } = pg;

// Per pool, not global, so the curator's parsing never leaks into another library's pool.
const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === types.builtins.INT8 || oid === types.builtins.NUMERIC) return (value: string) => Number(value);
    return types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

interface Queryable {
  query: (text: string, params?: unknown[]) => Promise<pg.QueryResult>;
}

function wrap(target: Queryable, pool: pg.Pool | null): SqlClient {
  return {
    async query<Row>(text: string, params: readonly unknown[] = []) {
      const result = await target.query(text, params as unknown[]);
      return result.rows as Row[];
    },
    async exec(script: string) {
      // The simple query protocol (no parameters) runs a whole script.
      await target.query(script);
    },
    async transaction<T>(work: (tx: SqlClient) => Promise<T>) {
      if (pool === null) return work(wrap(target, null));
      const connection = await pool.connect();
      try {
        await connection.query('begin');
        const result = await work(wrap(connection, null));
        await connection.query('commit');
        return result;
      } catch (error) {
        await connection.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        connection.release();
      }
    },
    async close() {
      if (pool !== null) await pool.end();
    },
  };
}

/** Options for a pool against a Postgres server (the local one in CI, Supabase's in production). */
export interface PostgresOptions {
  readonly connectionString: string;
  readonly maxConnections?: number;
  readonly applicationName?: string;
}

/**
 * Opens a connection pool to a Postgres server.
 *
 * @example
 * const sql = openPostgres({ connectionString: process.env.DATABASE_URL! });
 */
export function openPostgres(options: PostgresOptions): SqlClient {
  const pool = new Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 5,
    application_name: options.applicationName ?? 'storytailor-curator',
    types: typeParsers,
  });
  // A connection the server closes while idle (a restart, a failover, an admin) would otherwise be an unhandled
  // 'error' event that kills the process; the pool drops it and the next query opens a new one.
  pool.on('error', () => undefined);
  return wrap(pool, pool);
}
