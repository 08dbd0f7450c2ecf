import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeFunctions } from '../../src/store/functions.js';
import { sqlTransport } from '../../src/store/sql-transport.js';
import { supabaseTransport } from '../../src/store/supabase-transport.js';
import { CuratorStore } from '../../src/store/curator-store.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { postgrestFetch, type PostgrestRequest } from '../support/postgrest.js';
import { curatorHarness, scheduledEvent, tallyOf } from '../support/curator-harness.js';
import { executionsBySubject, seedDigestPopulation } from '../support/population.js';

const serviceRoleKey = 'service-role-key-for-tests-0123456789';
const firing = new Date('2026-11-23T20:00:00Z');

let db: TestDatabase;
const requests: PostgrestRequest[] = [];

function supabaseStoreTransport() {
  return supabaseTransport(
    createClient('http://supabase.test', serviceRoleKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      global: { fetch: postgrestFetch(db.sql, requests) },
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
    const lastRun = { jobType: 'daily_digest', periodKey: '2026-11-23' } as const;
    expect(await viaSupabase.call(storeFunctions.lastRun, lastRun)).toEqual(await viaSql.call(storeFunctions.lastRun, lastRun));
    expect(await viaSupabase.creditsIssuedOn(firing)).toBe(0);
    expect(await viaSupabase.archiveExpired(new Date('2020-01-01'), 10)).toEqual({ executions: 0, emails: 0 });
  });

  it('turns a database error into a StoreError naming the function', async () => {
    const store = new CuratorStore(supabaseStoreTransport());
    await expect(store.archiveExpired(firing, 0)).rejects.toThrow(/archive_expired_records failed: .*p_batch_size must be a positive integer/);
  });
});
