import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryContinuations } from '../../src/adapters/aws/sqs-continuations.js';
import type { Continuations } from '../../src/curator/ports.js';
import { curatorHarness, replayEvent, scheduledEvent, signalEvent, tallyOf } from '../support/curator-harness.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { executionsBySubject, seedDigestPopulation } from '../support/population.js';
import { insertUsers } from '../support/seed.js';

const firing = new Date('2026-11-23T20:00:00Z');
let db: TestDatabase;

beforeAll(async () => {
  db = await openTestDatabase();
  await seedDigestPopulation(db.sql, firing, { engaged: 23, idle: 4, lukewarm: 3, optedOut: 2, suppressed: 1 });
});
afterAll(async () => {
  await db?.close();
});

describe('a run that nears the Lambda deadline', () => {
  it('stops at a page boundary, continues itself through the work queue, and decides every family exactly once', async () => {
    const curator = curatorHarness(db, { start: new Date(firing.getTime() + 1_000), pageSize: 4 });
    const queue = memoryContinuations();
    (curator.deps as { continuations?: Continuations }).continuations = queue;
    (curator.deps as { config: object }).config = { ...curator.deps.config, continuationMarginMs: 10_000 };

    // The first page of an invocation always runs; then two more before the remaining time falls under the margin.
    const invocation = (id: number) => {
      let pagesLeft = 2;
      return {
        awsRequestId: `invocation-${id}`,
        getRemainingTimeInMillis: () => (pagesLeft-- > 0 ? 300_000 : 5_000),
      };
    };
    const first = await curator.handler(scheduledEvent('daily_digest', firing), invocation(0));
    expect(first).toMatchObject({ ok: true, status: 'continued', reason: 'deadline' });
    expect(queue.queued).toHaveLength(1);

    let invocations = 1;
    while (queue.queued.length > 0) {
      const body = JSON.stringify(queue.queued.shift());
      const answer = await curator.handler({ Records: [{ messageId: `m-${invocations}`, body, eventSource: 'aws:sqs' }] }, invocation(invocations));
      expect(answer).toEqual({ batchItemFailures: [] });
      invocations += 1;
      expect(invocations).toBeLessThan(20);
    }
    // 33 candidates in pages of 4: nine pages, three per invocation.
    expect(invocations).toBe(3);
    const rows = await executionsBySubject(db.sql, 'daily_digest', '2026-11-23');
    expect(rows).toHaveLength(33);
    expect(rows.every((row) => row.n === 1 && row.status !== 'pending')).toBe(true);
    expect(new Set(curator.mailer.sent.map((email) => email.userId)).size).toBe(23);
    expect(curator.mailer.sent).toHaveLength(23);
    const [run] = await db.sql.query(`select status, candidates, executed, vetoed, attempt, lease_owner from pipeline_runs where job_type = 'daily_digest'`);
    expect(run).toEqual({ status: 'succeeded', candidates: 33, executed: 23, vetoed: 10, attempt: 3, lease_owner: null });
  });

  it('is taken over by a duplicate delivery of its firing only after it was handed on', async () => {
    const curator = curatorHarness(db, { start: new Date(firing.getTime() + 86_400_000 + 1_000), pageSize: 4 });
    const nextDay = new Date(firing.getTime() + 86_400_000);
    const summary = await curator.handler(scheduledEvent('daily_digest', nextDay));
    expect(summary).toMatchObject({ ok: true, status: 'succeeded' });
    expect(await curator.handler(scheduledEvent('daily_digest', nextDay))).toMatchObject({ status: 'skipped', reason: 'completed' });
  });
});

describe('a replay of held actions that nears the deadline', () => {
  it('continues itself from the held execution it reached, and decides every held family exactly once', async () => {
    const own = await openTestDatabase();
    try {
      await seedDigestPopulation(own.sql, firing, { engaged: 11, idle: 2, lukewarm: 1, optedOut: 1, suppressed: 1 });
      const curator = curatorHarness(own, { start: new Date(firing.getTime() + 1_000), pageSize: 3 });
      curator.switches.set('daily-digest/enabled', 'false');
      await curator.handler(scheduledEvent('daily_digest', firing));
      curator.switches.set('daily-digest/enabled', 'true');
      curator.clock.advance(30 * 60_000);
      const queue = memoryContinuations();
      (curator.deps as { continuations?: Continuations }).continuations = queue;
      (curator.deps as { config: object }).config = { ...curator.deps.config, continuationMarginMs: 10_000 };
      // Every invocation is near its deadline from the start: one page of held executions each.
      const nearlyOut = (id: number) => ({ awsRequestId: `replay-invocation-${id}`, getRemainingTimeInMillis: () => 5_000 });

      const held = { jobType: 'daily_digest', vetoReason: 'KILL_SWITCH_ACTIVE', from: '2026-11-23T00:00:00Z', to: '2026-11-23T20:30:00Z' };
      expect(await curator.handler(replayEvent(held, 'replay-1'), nearlyOut(0))).toMatchObject({ status: 'continued', reason: 'deadline' });
      let invocations = 1;
      while (queue.queued.length > 0) {
        const body = JSON.stringify(queue.queued.shift());
        expect(await curator.handler({ Records: [{ messageId: `r-${invocations}`, body, eventSource: 'aws:sqs' }] }, nearlyOut(invocations))).toEqual({
          batchItemFailures: [],
        });
        invocations += 1;
        expect(invocations).toBeLessThan(20);
      }
      // 16 held families in pages of 3: six invocations, one page each.
      expect(invocations).toBe(6);
      const rows = await executionsBySubject(own.sql, 'daily_digest', '2026-11-23');
      expect(rows).toHaveLength(16);
      expect(rows.every((row) => row.n === 1 && row.veto_reason !== 'KILL_SWITCH_ACTIVE' && row.status !== 'pending')).toBe(true);
      expect(curator.mailer.sent).toHaveLength(11);
      expect(new Set(curator.mailer.sent.map((email) => email.userId)).size).toBe(11);
      const [run] = await own.sql.query(`select status, candidates, executed, attempt from pipeline_runs where period_key like 'replay:%'`);
      expect(run).toEqual({ status: 'succeeded', candidates: 16, executed: 11, attempt: 6 });

      // The switch goes off again and the same reason is replayed: every family is held once more, and the
      // replay, continuing from its cursor, still visits each held execution once and ends.
      curator.switches.set('daily-digest/enabled', 'false');
      const second = await own.sql.query(`update pipeline_executions set status = 'vetoed', vetoed = true, veto_reason = 'KILL_SWITCH_ACTIVE', completed_at = now() where period_key = '2026-11-23' returning id`);
      expect(second).toHaveLength(16);
      expect(await curator.handler(replayEvent(held, 'replay-2'), nearlyOut(0))).toMatchObject({ status: 'continued' });
      let again = 1;
      while (queue.queued.length > 0) {
        const body = JSON.stringify(queue.queued.shift());
        await curator.handler({ Records: [{ messageId: `s-${again}`, body, eventSource: 'aws:sqs' }] }, nearlyOut(again));
        again += 1;
        expect(again).toBeLessThan(20);
      }
      expect(again).toBe(6);
      // The second replay is an attempt of the same run: the first walk's counts stay, the second's are its own.
      const [rerun] = await own.sql.query(`select status, candidates, vetoed, replay_counts from pipeline_runs where period_key like 'replay:%'`);
      expect(rerun).toEqual({ status: 'succeeded', candidates: 16, vetoed: 5, replay_counts: { candidates: 16, executed: 0, skipped: 0, vetoed: 16, held: 0, failed: 0, escalated: 0 } });
      expect(curator.mailer.sent).toHaveLength(11);
    } finally {
      await own.close();
    }
  });
});

describe('a replay of held realtime signals that nears the deadline', () => {
  it('continues itself from the held signal it reached, and sends each held crisis alert once', async () => {
    const own = await openTestDatabase();
    try {
      const families = await insertUsers(own.sql, 7, { prefix: 'held-crisis' });
      const now = new Date('2026-11-23T20:00:00Z');
      const curator = curatorHarness(own, { start: now, pageSize: 2 });
      curator.switches.set('crisis-alert/enabled', 'false');
      for (const [index, userId] of families.entries()) {
        const held = await curator.handler(
          signalEvent({
            signalId: `held-${index}`,
            jobType: 'crisis_alert',
            userId,
            confidence: 0.97,
            signalCount: 1,
            eventTimestamp: new Date(now.getTime() - 60_000).toISOString(),
            context: { childId: `child-${index}` },
          }),
        );
        expect(tallyOf(held).vetoed).toEqual({ KILL_SWITCH_ACTIVE: 1 });
      }
      curator.switches.set('crisis-alert/enabled', 'true');
      curator.clock.advance(60_000);
      const queue = memoryContinuations();
      (curator.deps as { continuations?: Continuations }).continuations = queue;
      (curator.deps as { config: object }).config = { ...curator.deps.config, continuationMarginMs: 10_000 };
      const nearlyOut = (id: number) => ({ awsRequestId: `signal-replay-${id}`, getRemainingTimeInMillis: () => 5_000 });

      const replay = replayEvent({ jobType: 'crisis_alert', vetoReason: 'KILL_SWITCH_ACTIVE', from: '2026-11-23T19:00:00Z' }, 'crisis-replay');
      expect(await curator.handler(replay, nearlyOut(0))).toMatchObject({ status: 'continued', reason: 'deadline' });
      let invocations = 1;
      // Each alert claimed also queued its check for two minutes on (crisis-check.ts): run after the replay.
      const checks: Array<Readonly<Record<string, unknown>>> = [];
      while (queue.queued.length > 0) {
        const message = queue.queued.shift()!;
        if (message['detail-type'] === 'Crisis Alert Check') {
          checks.push(message);
          continue;
        }
        await curator.handler({ Records: [{ messageId: `c-${invocations}`, body: JSON.stringify(message), eventSource: 'aws:sqs' }] }, nearlyOut(invocations));
        invocations += 1;
        expect(invocations).toBeLessThan(20);
      }
      // Seven held alerts in pages of two: four invocations, one page each.
      expect(invocations).toBe(4);
      expect(curator.mailer.sent.map((email) => email.userId).sort()).toEqual([...families].sort());
      curator.clock.advance(120_000);
      expect(checks).toHaveLength(7);
      for (const check of checks) expect(await curator.handler(check)).toMatchObject({ kind: 'crisis_check', state: 'confirmed' });
      expect(curator.mailer.sent).toHaveLength(7);
      const [run] = await own.sql.query(`select status, candidates, executed, attempt from pipeline_runs where job_type = 'crisis_alert'`);
      expect(run).toEqual({ status: 'succeeded', candidates: 7, executed: 7, attempt: 4 });
    } finally {
      await own.close();
    }
  });
});
