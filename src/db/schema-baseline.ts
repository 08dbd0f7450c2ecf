import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the curator's schema is written, one file per table, function and view (`npm run schema` reads it). */
export const schemaDir = fileURLToPath(new URL('../../supabase/schema/', import.meta.url));

/** The one migration generated from the sources, and its version. */
export const baselineVersion = '20261201000000';
export const baselineFile = `${baselineVersion}_curator_schema.sql`;

/** The schema's sources as the generator reads them. */
export interface SchemaSources {
  readonly roles: string;
  readonly appFacts: string;
  /** Curator tables, in the order they are created (file names start with their place). */
  readonly tables: ReadonlyArray<{ readonly file: string; readonly sql: string }>;
  /** One function per file, named after it. */
  readonly functions: ReadonlyArray<{ readonly file: string; readonly sql: string }>;
  /** One view per file, named after it: the guides' dashboards, created security_invoker. */
  readonly views: ReadonlyArray<{ readonly file: string; readonly sql: string }>;
}

export function readSchemaSources(dir = schemaDir): SchemaSources {
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  const list = (folder: string) =>
    readdirSync(join(dir, folder))
      .filter((file) => file.endsWith('.sql'))
      .sort()
      .map((file) => ({ file: `${folder}/${file}`, sql: read(join(folder, file)) }));
  return { roles: read('roles.sql'), appFacts: read('app-facts.sql'), tables: list('tables'), functions: list('functions'), views: list('views') };
}

/** A schema source that breaks a rule of the generator, named. */
export class SchemaSourceError extends Error {
  override readonly name = 'SchemaSourceError';
}

const tablesOf = (sql: string) => [...sql.matchAll(/^create table public\.(\w+) \(/gm)].map((match) => match[1]!);

function functionOf(file: string, sql: string): string {
  const names = [...sql.matchAll(/^create or replace function public\.(\w+)\(/gm)].map((match) => match[1]!);
  const expected = file.replace(/^functions\//, '').replace(/\.sql$/, '');
  if (names.length !== 1 || names[0] !== expected) {
    throw new SchemaSourceError(`${file} must define exactly one function, public.${expected}, with create or replace; it defines ${names.join(', ') || 'none'}`);
  }
  if (!/^--/.test(sql)) throw new SchemaSourceError(`${file} must start with a comment saying what the function returns and why it exists`);
  return expected;
}

/**
 * The view a file defines: exactly one, named after the file, with security_invoker so it never shows what row level
 * security hides from the caller (a view otherwise reads as its owner).
 */
function viewOf(file: string, sql: string): string {
  const names = [...sql.matchAll(/^create view public\.(\w+) with \(security_invoker = true\) as$/gm)].map((match) => match[1]!);
  const expected = file.replace(/^views\//, '').replace(/\.sql$/, '');
  if (names.length !== 1 || names[0] !== expected || [...sql.matchAll(/create (or replace )?view/gi)].length !== 1) {
    throw new SchemaSourceError(`${file} must define exactly one view, public.${expected}, as "create view public.${expected} with (security_invoker = true) as"`);
  }
  if (!/^--/.test(sql)) throw new SchemaSourceError(`${file} must start with a comment saying what the view shows and for whom`);
  return expected;
}

/**
 * Functions in an order in which each is created after those its body calls (a SQL function's body is checked when
 * it is created), alphabetical otherwise.
 */
function inCallOrder(functions: ReadonlyArray<{ name: string; sql: string }>): Array<{ name: string; sql: string }> {
  const byName = new Map(functions.map((fn) => [fn.name, fn]));
  const done = new Set<string>();
  const ordered: Array<{ name: string; sql: string }> = [];
  const visit = (name: string, path: readonly string[]) => {
    if (done.has(name)) return;
    if (path.includes(name)) throw new SchemaSourceError(`functions call each other in a cycle: ${[...path, name].join(' -> ')}`);
    const fn = byName.get(name)!;
    const body = fn.sql.slice(fn.sql.indexOf('$$'));
    for (const [, callee] of body.matchAll(/\bpublic\.(\w+)\(/g)) if (callee !== name && byName.has(callee!)) visit(callee!, [...path, name]);
    done.add(name);
    ordered.push(fn);
  };
  for (const name of [...byName.keys()].sort()) visit(name, []);
  return ordered;
}

/**
 * The baseline migration: the roles, the app's facts (created only where absent), the curator's tables, its
 * dashboard views, its functions in call order, and the row level security, grants and EXECUTE revocations of the curator's own objects
 * named one by one. Nothing here touches an object it did not create, and no default privileges change.
 */
export function buildBaseline(sources: SchemaSources): string {
  const tables = sources.tables.flatMap((table) => tablesOf(table.sql));
  const functions = inCallOrder(sources.functions.map((fn) => ({ name: functionOf(fn.file, fn.sql), sql: fn.sql })));
  const views = sources.views.map((view) => ({ name: viewOf(view.file, view.sql), sql: view.sql }));
  for (const source of [...sources.tables, ...sources.functions, ...sources.views, { file: 'app-facts.sql', sql: sources.appFacts }]) {
    if (/alter default privileges|in schema public (from|to)|all (tables|functions|sequences) in schema/i.test(source.sql)) {
      throw new SchemaSourceError(`${source.file} grants or revokes on objects it does not name; name the curator's own objects`);
    }
  }
  const security = [
    ...tables.map((table) =>
      [
        `alter table public.${table} enable row level security;`,
        `revoke all on table public.${table} from public, anon, authenticated;`,
        `grant select, insert, update, delete on table public.${table} to service_role;`,
        `create policy service_role_all on public.${table} as permissive for all to service_role using (true) with check (true);`,
      ].join('\n'),
    ),
    ...views.map(
      ({ name }) => `revoke all on table public.${name} from public, anon, authenticated;\ngrant select on table public.${name} to service_role;`,
    ),
    ...functions.map(
      ({ name }) => `revoke execute on function public.${name} from public, anon, authenticated;\ngrant execute on function public.${name} to service_role;`,
    ),
  ];
  const section = (title: string, parts: readonly string[]) => `-- ${'='.repeat(4)} ${title}\n\n${parts.map((part) => part.trim()).join('\n\n')}\n`;
  return [
    `-- GENERATED by \`npm run schema\` from supabase/schema/ (one file per table and per function): do not edit this
-- file; edit the source and run \`npm run schema\` again (a test fails while they differ).
--
-- The curator is a guest in the app's Supabase project: it creates its own tables and functions, creates the app's
-- tables it reads only where they are absent, checks that they have the columns it reads, and names every object it
-- secures. Until the first deploy, this one baseline is the schema and a function has one live definition, its
-- source. After the first deploy this file is frozen: a change is a new migration that re-creates what changed from
-- its edited source (create or replace; drop and create for a new signature), and the old body is history.`,
    section('Supabase roles (where absent)', [sources.roles]),
    section("The app's facts (created only where absent; columns checked)", [sources.appFacts]),
    section("The curator's tables", sources.tables.map((table) => `-- ${table.file}\n${table.sql}`)),
    // Views first: they read tables only, and the ops summary's function reads them.
    section("The curator's dashboard views", views.map((view) => `-- views/${view.name}.sql\n${view.sql}`)),
    section("The curator's functions", functions.map((fn) => `-- functions/${fn.name}.sql\n${fn.sql}`)),
    section("Row level security and grants, on the curator's own objects only", security),
  ].join('\n');
}
