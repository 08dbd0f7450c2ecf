/**
 * `npm run schema`: writes the baseline migration from the schema's sources (supabase/schema/, one file per table
 * and per function). `npm run schema -- --check` only says whether the migration is up to date (exit 1 if not).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baselineFile, buildBaseline, readSchemaSources } from '../src/db/schema-baseline.js';
import { migrationsDir } from '../src/db/migrate.js';

const target = join(migrationsDir, baselineFile);
const built = buildBaseline(readSchemaSources());
let current = '';
try {
  current = readFileSync(target, 'utf8');
} catch {
  // not written yet
}
if (process.argv.includes('--check')) {
  if (current !== built) {
    console.error(`supabase/migrations/${baselineFile} is not what supabase/schema/ makes: run npm run schema`);
    process.exit(1);
  }
  console.log(`supabase/migrations/${baselineFile} is up to date`);
} else {
  writeFileSync(target, built);
  console.log(current === built ? `supabase/migrations/${baselineFile} unchanged` : `wrote supabase/migrations/${baselineFile}`);
}
