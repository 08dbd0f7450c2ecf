import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlParameterName, storeFunctions } from '../../src/store/functions.js';
import { sqlTransport } from '../../src/store/sql-transport.js';
import { supabaseTransport } from '../../src/store/supabase-transport.js';
import { CuratorStore } from '../../src/store/curator-store.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { curatorHarness, scheduledEvent, tallyOf } from '../support/curator-harness.js';
import { executionsBySubject, seedDigestPopulation } from '../support/population.js';

const serviceRoleKey = 'service-role-key-for-tests-0123456789';
const firing = new Date('2026-11-23T20:00:00Z');

let db: TestDatabase;
const requests: Array<{ path: string; apikey: string | null; authorization: string | null }> = [];

/**
 * Stands in for PostgREST: serves supabase-js's `POST /rest/v1/rpc/{fn}` from the same database, as the hosted
 * API would, and answers SQL errors the way PostgREST does.
 */
function postgrest(): typeof fetch {
  const sql = sqlTransport(db.sql);
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    requests.push({ path: url.pathname, apikey: request.headers.get('apikey'), authorization: request.headers.get('authorization') });
    const name = /^\/rest\/v1\/rpc\/([a-z_]+)$/.exec(url.pathname)?.[1];
    const fn = Object.values(storeFunctions).find((declared) => declared.name === name);
    const body = (await request.json()) as Record<string, unknown>;
    // PostgREST resolves a function by its name and the names of the arguments sent: all of them, as declared.
    const declared = fn === undefined ? [] : Object.keys(fn.params).map(sqlParameterName);
    if (request.method !== 'POST' || fn === undefined || Object.keys(body).sort().join() !== [...declared].sort().join()) {
      return Response.json({ code: 'PGRST202', message: `Could not find the function ${url.pathname}` }, { status: 404 });
    }
    try {
      const args = Object.fromEntries(Object.keys(fn.params).map((param) => [param, body[sqlParameterName(param)]]));
      const result = await sql.call(fn, args);
      return Response.json(result);
    } catch (error) {
      return Response.json({ code: 'P0001', message: (error as Error).message, details: null, hint: null }, { status: 400 });
    }
  };
}

function supabaseStoreTransport() {
  return supabaseTransport(
    createClient('http://supabase.test', serviceRoleKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      global: { fetch: postgrest() },
      realtime: { transport: WebSocket as never },
    }),
  );
}

beforeAll(async () => {
  db = await openTestDatabase();
  await seedDigestPopulation(db.sql, firing, { engaged: 9, idle: 2, lukewarm: 1, optedOut: 1, suppressed: 1 });
});
afterAll(async () => {
  await db?.close();
});

describe('the Supabase store', () => {
  it('runs the daily digest through supabase-js RPC with the same outcome as the SQL store', async () => {
    const curator = curatorHarness(db, { start: new Date(firing.getTime() + 1_000), pageSize: 4, transport: supabaseStoreTransport() });
    const summary = await curator.handler(scheduledEvent('daily_digest', firing));
    expect(tallyOf(summary)).toMatchObject({ candidates: 14, executed: 9, vetoed: { INSUFFICIENT_SIGNAL: 2, LOW_CONFIDENCE: 1, USER_OPTED_OUT: 2 } });
    const rows = await executionsBySubject(db.sql, 'daily_digest', '2026-11-23');
    expect(rows).toHaveLength(14);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.every((request) => request.path.startsWith('/rest/v1/rpc/curator_'))).toBe(true);
    expect(requests.every((request) => request.apikey === serviceRoleKey && request.authorization === `Bearer ${serviceRoleKey}`)).toBe(true);
  });

  it('calls the same functions with the same answers as the SQL store', async () => {
    const viaSupabase = new CuratorStore(supabaseStoreTransport());
    const viaSql = new CuratorStore(sqlTransport(db.sql));
    const lastRun = { jobType: 'daily_digest' } as const;
    expect(await viaSupabase.call(storeFunctions.lastRun, lastRun)).toEqual(await viaSql.call(storeFunctions.lastRun, lastRun));
    expect(await viaSupabase.creditsIssuedOn(firing)).toBe(0);
    expect(await viaSupabase.archiveExpired(new Date('2020-01-01'), 10)).toEqual({ executions: 0, emails: 0 });
  });

  it('turns a database error into a StoreError naming the function', async () => {
    const store = new CuratorStore(supabaseStoreTransport());
    await expect(store.archiveExpired(firing, 0)).rejects.toThrow(/archive_expired_records failed: .*p_batch_size must be a positive integer/);
  });
});
