import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { curatorHarness, replayEvent, scheduledEvent, type Harness, tallyOf } from '../support/curator-harness.js';
import { executionsBySubject, seedDigestPopulation, type DigestPopulation } from '../support/population.js';

const firing = new Date('2026-11-23T20:00:00Z');
const periodKey = '2026-11-23';

let db: TestDatabase;
let population: DigestPopulation;
let curator: Harness;

beforeAll(async () => {
  db = await openTestDatabase();
  population = await seedDigestPopulation(db.sql, firing);
  curator = curatorHarness(db, { start: new Date(firing.getTime() + 5_000), pageSize: 7 });
});
afterAll(async () => {
  await db?.close();
});

describe('the daily digest, scheduled', () => {
  it('emails every engaged family once and vetoes the rest with their reason', async () => {
    const summary = await curator.handler(scheduledEvent('daily_digest', firing));
    expect(summary).toMatchObject({ ok: true, status: 'succeeded', periodKey });
    const active = 20 + 5 + 4 + 3 + 2;
    expect(tallyOf(summary)).toMatchObject({
      candidates: active,
      executed: 20,
      emailsSent: 20,
      vetoed: { INSUFFICIENT_SIGNAL: 5, LOW_CONFIDENCE: 4, USER_OPTED_OUT: 5 },
    });
    expect(new Set(curator.mailer.sent.map((email) => email.userId))).toEqual(new Set(population.engaged));
    // pages of 7: the mailer is called once per page that had something to send
    expect(curator.mailer.requests.every((size) => size <= 7)).toBe(true);
  });

  it('leaves exactly one terminal execution row per candidate, and none for inactive accounts', async () => {
    const rows = await executionsBySubject(db.sql, 'daily_digest', periodKey);
    expect(rows).toHaveLength(34);
    expect(rows.every((row) => row.n === 1 && row.status !== 'pending')).toBe(true);
    expect(rows.map((row) => row.subject_key)).not.toEqual(expect.arrayContaining([population.inactive[0]]));
  });

  it('completes the run with its counts', async () => {
    const [run] = await db.sql.query(`select status, candidates, executed, vetoed, skipped, failed from pipeline_runs where job_type = 'daily_digest'`);
    expect(run).toEqual({ status: 'succeeded', candidates: 34, executed: 20, vetoed: 14, skipped: 0, failed: 0 });
  });

  it('exits without acting on a second delivery of the same firing', async () => {
    const again = await curator.handler(scheduledEvent('daily_digest', firing));
    expect(again).toMatchObject({ ok: true, status: 'skipped', reason: 'completed' });
    expect(curator.mailer.sent).toHaveLength(20);
  });

  it('sends nothing new on a replay of the completed period', async () => {
    const replay = await curator.handler(replayEvent({ jobType: 'daily_digest', periodKey }));
    expect(replay).toMatchObject({ ok: true, status: 'succeeded' });
    expect(tallyOf(replay)).toMatchObject({ executed: 0, skipped: 20, unchanged: 14 });
    expect(curator.mailer.sent).toHaveLength(20);
  });

  it('logs one JSON line per decision, with no email address', async () => {
    const decisions = curator.logger.lines.filter((line) => line.message === 'decision' && line.pipeline_type === 'daily_digest');
    expect(decisions.length).toBeGreaterThanOrEqual(34);
    expect(decisions[0]).toMatchObject({ level: 'INFO', pipeline_type: 'daily_digest', email_type: 'daily_digest' });
    expect(JSON.stringify(curator.logger.lines)).not.toMatch(/@families\.test/);
  });

  it('counts executions and vetoes by reason in the metrics', () => {
    expect(curator.metrics.total('PipelineExecutions', { pipelineType: 'daily_digest' })).toBe(34);
    expect(curator.metrics.total('PipelineVetoes', { vetoReason: 'USER_OPTED_OUT' })).toBe(5);
    expect(curator.metrics.total('EmailsSent')).toBe(20);
  });
});
