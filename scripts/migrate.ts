/**
 * Applies the migrations in supabase/migrations to the Postgres database named by DATABASE_URL, recording them in
 * the curator's own `public.curator_migrations`: the deploy path for the app's Supabase project (its connection
 * string, as the role that owns the app's schema), which leaves the app's own migration history alone. A second run
 * applies nothing. Exit codes: 0 applied or up to date, 1 a migration failed (the message names it and why),
 * 2 no DATABASE_URL.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/storytailor npm run migrate
 */
import { applyMigrations } from '../src/db/migrate.js';
import { openPostgres } from '../src/db/postgres-client.js';

const connectionString = process.env.DATABASE_URL;
if (!connectionString) {
  console.error('DATABASE_URL is not set: name the Postgres server to migrate, e.g. postgres://postgres@127.0.0.1:5432/storytailor');
  process.exit(2);
}

const sql = openPostgres({ connectionString, maxConnections: 1 });
try {
  const applied = await applyMigrations(sql);
  console.log(applied.length === 0 ? 'Already up to date.' : `Applied ${applied.length} migration(s): ${applied.join(', ')}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await sql.close();
}
