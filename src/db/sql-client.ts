/**
 * The one thing every database adapter needs: parameterised queries, multi-statement scripts and transactions,
 * the same on PGlite (embedded, one connection) and on a Postgres server (a pool).
 *
 * Values come back as the curator uses them on both: int8 and numeric as JavaScript numbers, timestamptz as
 * Date, jsonb as objects, arrays as arrays.
 */
export interface SqlClient {
  /** Runs one statement with `$1`-style parameters and returns its rows. */
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a script of several statements (no parameters), such as a migration file. */
  exec(script: string): Promise<void>;
  /** Runs `work` inside one transaction on one connection; commits if it resolves, rolls back if it throws. */
  transaction<T>(work: (tx: SqlClient) => Promise<T>): Promise<T>;
  /** Releases the connection or pool. */
  close(): Promise<void>;
}
