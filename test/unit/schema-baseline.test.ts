import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrationsDir } from '../../src/db/migrate.js';
import { baselineFile, buildBaseline, readSchemaSources, schemaDir, SchemaSourceError } from '../../src/db/schema-baseline.js';
import { storeFunctions } from '../../src/store/functions.js';

const sources = readSchemaSources();

describe('the schema baseline', () => {
  it('is what supabase/schema/ makes (run npm run schema after editing a source)', () => {
    expect(readFileSync(join(migrationsDir, baselineFile), 'utf8')).toBe(buildBaseline(sources));
  });

  it('is the only migration until the first deploy, and defines each function once', () => {
    expect(readdirSync(migrationsDir)).toEqual([baselineFile]);
    const baseline = buildBaseline(sources);
    const defined = [...baseline.matchAll(/^create or replace function public\.(\w+)\(/gm)].map((match) => match[1]);
    expect(new Set(defined).size).toBe(defined.length);
    expect(defined.sort()).toEqual(sources.functions.map((fn) => fn.file.replace(/^functions\/(\w+)\.sql$/, '$1')).sort());
  });

  it('has a source for every function the store calls, named after it', () => {
    const files = new Set(readdirSync(join(schemaDir, 'functions')));
    for (const fn of Object.values(storeFunctions)) expect(files, fn.name).toContain(`${fn.name}.sql`);
  });

  it('names every object it secures and changes no default privileges', () => {
    const baseline = buildBaseline(sources);
    expect(baseline).not.toMatch(/alter default privileges/i);
    expect(baseline).not.toMatch(/on all (tables|functions|sequences) in schema/i);
    expect(baseline).not.toMatch(/for \w+ in select tablename from pg_tables/i);
    for (const table of ['pipeline_runs', 'pipeline_executions', 'reward_ledger', 'referral_tracking', 'consumption_metrics']) {
      expect(baseline).toContain(`alter table public.${table} enable row level security;`);
    }
    expect(baseline).not.toContain('alter table public.users enable row level security;\nrevoke all on table public.users from public, anon, authenticated;\ngrant select');
  });

  it('refuses a source that grants on objects it does not name, naming the file', () => {
    const bad = { ...sources, functions: [...sources.functions, { file: 'functions/x.sql', sql: '-- x\ncreate or replace function public.x() returns int language sql as $$ select 1 $$;\nrevoke execute on all functions in schema public from anon;\n' }] };
    expect(() => buildBaseline(bad)).toThrow(SchemaSourceError);
    expect(() => buildBaseline(bad)).toThrow(/functions\/x\.sql grants or revokes on objects it does not name/);
  });

  it('refuses a function file that defines another function than its name says', () => {
    const bad = { ...sources, functions: [{ file: 'functions/curator_a.sql', sql: '-- a\ncreate or replace function public.curator_b() returns int language sql as $$ select 1 $$;\n' }] };
    expect(() => buildBaseline(bad)).toThrow(/functions\/curator_a\.sql must define exactly one function, public\.curator_a/);
  });

  it('refuses a view that would read as its owner (no security_invoker), and secures each view by name', () => {
    const owner = { ...sources, views: [{ file: 'views/email_x.sql', sql: '-- x\ncreate view public.email_x as select 1 as one;\n' }] };
    expect(() => buildBaseline(owner)).toThrow(/views\/email_x\.sql must define exactly one view, public\.email_x, as "create view public\.email_x with \(security_invoker = true\) as"/);
    const baseline = buildBaseline(sources);
    for (const view of ['email_performance_daily', 'email_open_rate_by_type', 'email_unsubscribe_trend', 'credits_issued_daily', 'credits_applied_daily', 'referral_conversion_daily']) {
      expect(baseline).toContain(`revoke all on table public.${view} from public, anon, authenticated;\ngrant select on table public.${view} to service_role;`);
    }
  });
});
