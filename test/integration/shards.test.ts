import { afterEach, describe, expect, it } from 'vitest';
import { memoryContinuations } from '../../src/adapters/aws/sqs-continuations.js';
import { MetricName, type Continuations } from '../../src/curator/ports.js';
import { curatorHarness, replayEvent, scheduledEvent, type Harness } from '../support/curator-harness.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { executionsBySubject, seedDigestPopulation } from '../support/population.js';

const firing = new Date('2026-11-23T20:00:00Z');
const periodKey = '2026-11-23';
let db: TestDatabase | undefined;

afterEach(async () => {
  await db?.close();
  db = undefined;
});

/** 33 active families (23 who should get the digest) and a curator that splits runs into shards of 7. */
async function splitSetUp(options: { pagesLeft?: number } = {}) {
  db = await openTestDatabase();
  const population = await seedDigestPopulation(db.sql, firing, { engaged: 23, idle: 4, lukewarm: 3, optedOut: 2, suppressed: 1 });
  const curator = curatorHarness(db, { start: new Date(firing.getTime() + 1_000), pageSize: 3 });
  const queue = memoryContinuations();
  (curator.deps as { continuations?: Continuations }).continuations = queue;
  (curator.deps as { config: object }).config = { ...curator.deps.config, shardSize: 7, continuationMarginMs: 10_000 };
  let invocations = 0;
  // Each invocation has time for `pagesLeft` page boundaries, then is near its deadline.
  const invocation = () => {
    let pagesLeft = options.pagesLeft ?? 1_000;
    invocations += 1;
    return { awsRequestId: `invocation-${invocations}`, getRemainingTimeInMillis: () => (pagesLeft-- > 0 ? 300_000 : 5_000) };
  };
  return { db, population, curator, queue, invocation, invocations: () => invocations };
}

/** Delivers every queued event, all of a round at once as concurrent invocations would take them, until none is left. */
async function drain(curator: Harness, queue: ReturnType<typeof memoryContinuations>, invocation: () => object) {
  const answers: unknown[] = [];
  for (let round = 0; queue.queued.length > 0; round += 1) {
    expect(round).toBeLessThan(30);
    const batch = queue.queued.splice(0);
    answers.push(
      ...(await Promise.all(
        batch.map((event, index) =>
          curator.handler({ Records: [{ messageId: `m-${round}-${index}`, body: JSON.stringify(event), eventSource: 'aws:sqs' }] }, invocation()),
        ),
      )),
    );
  }
  return answers;
}

const runRow = async (sql: TestDatabase['sql']) =>
  (
    await sql.query<Record<string, unknown>>(
      `select status, candidates, executed, vetoed, failed, shards, lease_owner, attempt, error from pipeline_runs where job_type = 'daily_digest'`,
    )
  )[0];

describe('a run larger than the shard size', () => {
  it('is split into shards that run concurrently, continue near the deadline, and decide every family exactly once', async () => {
    const { db, curator, queue, invocation, invocations } = await splitSetUp({ pagesLeft: 1 });

    const first = await curator.handler(scheduledEvent('daily_digest', firing), invocation());
    expect(first).toMatchObject({ ok: true, status: 'fanned_out', shards: 5 });
    expect(queue.queued).toHaveLength(5);
    expect(curator.mailer.sent).toHaveLength(0);
    expect(await runRow(db.sql)).toMatchObject({ status: 'running', shards: 5, lease_owner: 'shards', candidates: 0 });

    const answers = await drain(curator, queue, invocation);
    expect(answers.every((answer) => JSON.stringify(answer) === '{"batchItemFailures":[]}')).toBe(true);
    // Five shards of at most 7 families in pages of 3, two pages per invocation: more invocations than shards.
    expect(invocations()).toBeGreaterThan(1 + 5);

    const rows = await executionsBySubject(db.sql, 'daily_digest', periodKey);
    expect(rows).toHaveLength(33);
    expect(rows.every((row) => row.n === 1 && row.status !== 'pending')).toBe(true);
    expect(curator.mailer.sent).toHaveLength(23);
    expect(new Set(curator.mailer.sent.map((email) => email.userId)).size).toBe(23);
    expect(await runRow(db.sql)).toMatchObject({ status: 'succeeded', candidates: 33, executed: 23, vetoed: 10, failed: 0, shards: 5, lease_owner: null });

    const shards = await db.sql.query<{ shard: number; status: string; candidates: number }>(
      `select shard, status, candidates from pipeline_run_shards order by shard`,
    );
    expect(shards.map((shard) => [shard.shard, shard.status, shard.candidates])).toEqual([
      [0, 'succeeded', 7],
      [1, 'succeeded', 7],
      [2, 'succeeded', 7],
      [3, 'succeeded', 7],
      [4, 'succeeded', 5],
    ]);
    // The run's veto rate and duration are published once, by the shard that completed it.
    expect(curator.metrics.points.filter((point) => point.name === MetricName.JobDuration)).toHaveLength(1);
    expect(curator.metrics.points.filter((point) => point.name === MetricName.VetoRate).map((point) => point.value)).toEqual([
      (100 * 10) / 33,
    ]);
  });

  it('answers a shard delivered twice or from a replaced attempt without deciding anything again', async () => {
    const { db, curator, queue, invocation } = await splitSetUp();
    await curator.handler(scheduledEvent('daily_digest', firing), invocation());
    const firstAttempt = [...queue.queued];
    await drain(curator, queue, invocation);
    expect(curator.mailer.sent).toHaveLength(23);

    // The queue delivers at least once: the same shard again finds it completed.
    const again = await curator.handler(firstAttempt[2]!, invocation());
    expect(again).toMatchObject({ ok: true, kind: 'shard', status: 'skipped', reason: 'completed' });

    // Ops replay the period: it is split again under a new attempt, and nothing that succeeded is sent again.
    const replay = await curator.handler(replayEvent({ jobType: 'daily_digest', periodKey }), invocation());
    expect(replay).toMatchObject({ status: 'fanned_out', shards: 5 });
    expect(await curator.handler(firstAttempt[0]!, invocation())).toMatchObject({ status: 'skipped', reason: 'superseded' });
    await drain(curator, queue, invocation);
    expect(curator.mailer.sent).toHaveLength(23);
    // The replay is an attempt of the period: the run keeps what the firing did, the replay's own counts beside it.
    expect(await runRow(db.sql)).toMatchObject({ status: 'succeeded', attempt: 2, candidates: 33, executed: 23 });
    expect(await db.sql.query(`select replay_counts from pipeline_runs`)).toEqual([{ replay_counts: expect.objectContaining({ candidates: 33, executed: 0 }) }]);
  });

  it('holds the emails-per-run ceiling across shards: each spends at most its share', async () => {
    const { db, curator, queue, invocation } = await splitSetUp();
    curator.switches.set('all/emails-per-run-ceiling', '7');
    await curator.handler(scheduledEvent('daily_digest', firing), invocation());
    await drain(curator, queue, invocation);

    // Shares of 7/33 (four shards) and 5/33 of a ceiling of 7: at most one email each.
    expect(curator.mailer.sent.length).toBeGreaterThan(0);
    expect(curator.mailer.sent.length).toBeLessThanOrEqual(5);
    const [budget] = await db.sql.query<{ n: number }>(
      `select count(*)::int as n from pipeline_executions where pipeline_type = 'daily_digest' and veto_reason = 'BUDGET_EXCEEDED'`,
    );
    expect(budget!.n).toBe(23 - curator.mailer.sent.length);
    expect(await runRow(db.sql)).toMatchObject({ status: 'succeeded', candidates: 33, executed: curator.mailer.sent.length });
  });

  it('fails the run when a shard fails, and the queue retrying that shard completes it', async () => {
    const { db, curator, queue, invocation } = await splitSetUp();
    await curator.handler(scheduledEvent('daily_digest', firing), invocation());
    const shardEvents = [...queue.queued];
    queue.queued.splice(0);

    // The database goes away after the first page's emails left: the shard fails with their outcomes unrecorded.
    const store = curator.deps.store;
    const recordOutcomes = store.recordOutcomes.bind(store);
    store.recordOutcomes = async () => {
      throw new Error('Connection terminated unexpectedly');
    };
    const failed = await curator.handler({ Records: [{ messageId: 'm-fail', body: JSON.stringify(shardEvents[0]), eventSource: 'aws:sqs' }] }, invocation());
    expect(failed).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-fail' }] });
    store.recordOutcomes = recordOutcomes;
    const sentBeforeFailure = curator.mailer.sent.length;
    expect(sentBeforeFailure).toBeGreaterThan(0);

    queue.queued.push(...shardEvents.slice(1));
    await drain(curator, queue, invocation);
    expect(await runRow(db.sql)).toMatchObject({ status: 'failed', error: expect.stringContaining('1 of 5 shards failed; shard 0: Connection terminated unexpectedly') });

    // The redelivery resumes the shard. What its failed pages sent has an unknown outcome and is not sent again.
    queue.queued.push(shardEvents[0]!);
    await drain(curator, queue, invocation);
    expect(await runRow(db.sql)).toMatchObject({ status: 'succeeded', lease_owner: null, error: null });
    const rows = await executionsBySubject(db.sql, 'daily_digest', periodKey);
    expect(rows).toHaveLength(33);
    expect(rows.every((row) => row.n === 1 && row.status !== 'pending')).toBe(true);
    expect(rows.filter((row) => row.status === 'unknown')).toHaveLength(sentBeforeFailure);
    expect(curator.mailer.sent).toHaveLength(23);
    expect(new Set(curator.mailer.sent.map((email) => email.userId)).size).toBe(23);
  });

  it('is walked in one invocation when it fits in one shard', async () => {
    const { curator, queue, invocation } = await splitSetUp();
    (curator.deps as { config: object }).config = { ...curator.deps.config, shardSize: 33 };
    const summary = await curator.handler(scheduledEvent('daily_digest', firing), invocation());
    expect(summary).toMatchObject({ status: 'succeeded', tally: { candidates: 33, executed: 23 } });
    expect(queue.queued).toHaveLength(0);
  });
});
