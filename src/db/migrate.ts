import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { MigrationError } from './errors.js';
import type { SqlClient } from './sql-client.js';

/** Where the Supabase CLI keeps migrations, relative to this file. */
export const migrationsDir = fileURLToPath(new URL('../../supabase/migrations/', import.meta.url));

const fileName = /^(\d{14})_([a-z0-9_]+)\.sql$/;

/** One migration file, named as the Supabase CLI names them: `<14-digit timestamp>_<name>.sql`. */
export interface Migration {
  readonly version: string;
  readonly name: string;
  readonly file: string;
}

/** Lists the migrations in version order; a file that does not follow the naming is an error, not skipped. */
export async function listMigrations(dir = migrationsDir): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort();
  return files.map((file) => {
    const match = fileName.exec(file);
    if (!match) throw new Error(`migration file ${file} is not named <YYYYMMDDHHMMSS>_<name>.sql`);
    return { version: match[1]!, name: match[2]!, file };
  });
}

/**
 * Applies, in order and each in its own transaction, the migrations the database has not recorded yet.
 * Records them in `supabase_migrations.schema_migrations`, the table the Supabase CLI uses, so a database
 * migrated here and one migrated by `supabase db push` agree on what is applied. Returns the versions applied.
 */
export async function applyMigrations(sql: SqlClient, dir = migrationsDir): Promise<string[]> {
  await sql.exec(`
    create schema if not exists supabase_migrations;
    create table if not exists supabase_migrations.schema_migrations (
      version text primary key, statements text[], name text);
  `);
  const applied = new Set(
    (await sql.query<{ version: string }>('select version from supabase_migrations.schema_migrations')).map(
      (row) => row.version,
    ),
  );
  const done: string[] = [];
  for (const migration of await listMigrations(dir)) {
    if (applied.has(migration.version)) continue;
    const script = await readFile(`${dir}/${migration.file}`, 'utf8');
    try {
      await sql.transaction(async (tx) => {
        await tx.exec(script);
        await tx.query('insert into supabase_migrations.schema_migrations (version, name) values ($1, $2)', [
          migration.version,
          migration.name,
        ]);
      });
    } catch (cause) {
      throw new MigrationError(migration.file, { cause });
    }
    done.push(migration.version);
  }
  return done;
}
