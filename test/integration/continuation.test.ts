import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryContinuations } from '../../src/adapters/aws/sqs-continuations.js';
import type { Continuations } from '../../src/curator/ports.js';
import { curatorHarness, scheduledEvent } from '../support/curator-harness.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { executionsBySubject, seedDigestPopulation } from '../support/population.js';

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
