import { afterEach, describe, expect, it } from 'vitest';
import { memoryContinuations } from '../../src/adapters/aws/sqs-continuations.js';
import type { Continuations, SwitchSource } from '../../src/curator/ports.js';
import { MetricName } from '../../src/curator/ports.js';
import type { SqlClient } from '../../src/db/sql-client.js';
import { curatorHarness, replayEvent, scheduledEvent, signalEvent, tallyOf, type Harness } from '../support/curator-harness.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { faults } from '../support/faults.js';
import { executionsBySubject, seedDigestPopulation } from '../support/population.js';
import { insertUsers } from '../support/seed.js';

/**
 * The losses a crash-and-fault test of the curator found (issue 11), one test each: what was lost before, and that
 * nothing is lost now. The whole-system version, with real processes killed, is `npm run chaos`.
 */

const digestFiring = new Date('2026-11-23T20:00:00Z');
const referralFiring = new Date('2026-11-23T01:00:00Z');
const leaseSeconds = 360;

let db: TestDatabase | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

const sqs = (event: unknown, id: string) => ({ Records: [{ messageId: id, body: JSON.stringify(event), eventSource: 'aws:sqs' }] });
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

async function until(condition: () => boolean): Promise<void> {
  for (let wait = 0; !condition(); wait += 1) {
    if (wait > 500) throw new Error('the condition never held');
    await tick();
  }
  // Let whatever the frozen invocation had already started reach the database.
  for (let settle = 0; settle < 10; settle += 1) await tick();
}

const runRow = async (sql: SqlClient, jobType: string) =>
  (await sql.query<Record<string, unknown>>(`select status, error, lease_owner, attempt, executed from pipeline_runs where job_type = $1 and trigger = 'schedule'`, [jobType]))[0];

const statuses = async (sql: SqlClient, jobType: string) =>
  Object.fromEntries(
    (await sql.query<{ status: string; n: number }>(`select status, count(*)::int as n from pipeline_executions where pipeline_type = $1 group by 1`, [jobType])).map(
      (row) => [row.status, row.n],
    ),
  );

async function seedReferrals(sql: SqlClient, count: number): Promise<string[]> {
  const referrers = await insertUsers(sql, count, { prefix: 'referrer' });
  const referees = await insertUsers(sql, count, { prefix: 'referee' });
  const rows = await sql.query<{ id: string }>(
    `insert into referral_tracking (referrer_id, referee_id, status, signed_up_at, converted_at, created_at)
     select r, e, 'converted', $3::timestamptz - interval '3 days', $3::timestamptz - interval '2 hours', $3::timestamptz - interval '4 days'
     from unnest($1::uuid[], $2::uuid[]) as t(r, e) returning id`,
    [referrers, referees, referralFiring],
  );
  return rows.map((row) => row.id);
}

/** Every referral ends with one succeeded execution, one Stripe transaction, a ledger row that says so, issued. */
async function expectEveryReferralPaidOnce(sql: SqlClient, curator: Harness, count: number): Promise<void> {
  expect(await statuses(sql, 'referral_rewards')).toEqual({ succeeded: count });
  const perReferral = await sql.query<{ n: number }>(`select count(*)::int as n from pipeline_executions where pipeline_type = 'referral_rewards' group by subject_key`);
  expect(perReferral.every((row) => row.n === 1)).toBe(true);
  expect(curator.payments.transactions).toHaveLength(count);
  const ledger = await sql.query<{ id: string; stripe_balance_transaction_id: string | null; status: string }>(
    `select id, stripe_balance_transaction_id, status from reward_ledger where source = 'referral'`,
  );
  expect(ledger).toHaveLength(count);
  expect(ledger.every((row) => row.status === 'pending' && row.stripe_balance_transaction_id !== null)).toBe(true);
  expect(new Set(curator.payments.transactions.map((transaction) => transaction.idempotencyKey))).toEqual(new Set(ledger.map((row) => row.id)));
  const [issued] = await sql.query<{ n: number }>(`select count(*)::int as n from referral_tracking where reward_status = 'issued'`);
  expect(issued!.n).toBe(count);
}

describe('a run that fails midway (loss 1)', () => {
  it('leaves no credit pending: what Stripe was asked to pay is unknown, the rest is redone, and the redelivered firing finishes the period', async () => {
    db = await openTestDatabase();
    await seedReferrals(db.sql, 12);
    const injected = faults();
    const curator = curatorHarness(db, { start: new Date(referralFiring.getTime() + 60_000), pageSize: 3, faults: injected });
    // The database drops the connection for the outcomes of the second page, after Stripe paid it.
    injected.fail('curator_record_outcomes', { after: 1, message: 'Connection terminated unexpectedly' });
    await expect(curator.handler(scheduledEvent('referral_rewards', referralFiring))).rejects.toThrow('Connection terminated unexpectedly');

    expect(await runRow(db.sql, 'referral_rewards')).toMatchObject({ status: 'failed', lease_owner: null, error: expect.stringContaining('Connection terminated') });
    const after = await statuses(db.sql, 'referral_rewards');
    expect(after.pending).toBeUndefined();
    // The pages in flight had sent their credits: their outcome is unknown, not lost.
    expect(after.unknown).toBeGreaterThanOrEqual(3);
    expect(curator.payments.transactions.length).toBe((after.succeeded ?? 0) + after.unknown!);
    expect(curator.metrics.total(MetricName.FailedRuns)).toBe(1);

    // Lambda delivers the failed firing again: it resumes from the cursor, settles the unknown credits by their
    // ledger ids and pays the rest, once each.
    const again = await curator.handler(scheduledEvent('referral_rewards', referralFiring));
    expect(again).toMatchObject({ ok: true, status: 'succeeded' });
    await expectEveryReferralPaidOnce(db.sql, curator, 12);
  });

  it('leaves no digest pending: what SendGrid took is unknown (never resent), the rest is sent by the redelivery', async () => {
    db = await openTestDatabase();
    await seedDigestPopulation(db.sql, digestFiring, { engaged: 23, idle: 4, lukewarm: 3, optedOut: 2, suppressed: 1 });
    const injected = faults();
    const curator = curatorHarness(db, { start: new Date(digestFiring.getTime() + 1_000), pageSize: 4, faults: injected });
    injected.fail('curator_record_outcomes', { after: 2 });
    await expect(curator.handler(scheduledEvent('daily_digest', digestFiring))).rejects.toThrow('Connection terminated unexpectedly');
    const failedAt = await statuses(db.sql, 'daily_digest');
    expect(failedAt.pending).toBeUndefined();
    expect(failedAt.unknown).toBeGreaterThan(0);
    expect(await db.sql.query(`select 1 from email_delivery_log l join pipeline_executions e on e.id = l.execution_id where e.status = 'failed'`)).toEqual([]);

    expect(await curator.handler(scheduledEvent('daily_digest', digestFiring))).toMatchObject({ status: 'succeeded' });
    const rows = await executionsBySubject(db.sql, 'daily_digest', '2026-11-23');
    expect(rows).toHaveLength(33);
    expect(rows.every((row) => row.n === 1 && row.status !== 'pending' && row.status !== 'failed')).toBe(true);
    expect(rows.filter((row) => row.status === 'unknown')).toHaveLength(failedAt.unknown!);
    expect(curator.mailer.sent).toHaveLength(23);
    expect(new Set(curator.mailer.sent.map((email) => email.userId)).size).toBe(23);
  });
});

describe('a run whose invocation is killed (loss 2)', () => {
  async function killedDigest() {
    db = await openTestDatabase();
    await seedDigestPopulation(db.sql, digestFiring, { engaged: 23, idle: 4, lukewarm: 3, optedOut: 2, suppressed: 1 });
    const injected = faults();
    const curator = curatorHarness(db, { start: new Date(digestFiring.getTime() + 1_000), pageSize: 4, faults: injected });
    // One page at a time, so what the kill interrupts is exactly the third request.
    (curator.deps as { config: object }).config = { ...curator.deps.config, pagesInFlight: 1 };
    const queue = memoryContinuations();
    (curator.deps as { continuations?: Continuations }).continuations = queue;
    // SIGKILL during the third SendGrid request: the request left, no answer was recorded, nothing else happens.
    let sends = 0;
    const send = curator.mailer.send.bind(curator.mailer);
    curator.mailer.send = async (emails) => {
      sends += 1;
      if (sends === 3) {
        await send(emails);
        injected.freeze();
        return new Promise(() => undefined);
      }
      return send(emails);
    };
    void curator.handler(scheduledEvent('daily_digest', digestFiring), { awsRequestId: 'killed' });
    await until(() => injected.frozen);
    expect(await runRow(db.sql, 'daily_digest')).toMatchObject({ status: 'running', lease_owner: 'killed' });
    // A new process: the same database and providers, no frozen calls.
    const next = curatorHarness(db, { start: new Date(digestFiring.getTime() + 1_000), pageSize: 4 });
    (next.deps as { continuations?: Continuations }).continuations = queue;
    return { curator: next, killedMailer: curator.mailer, queue };
  }

  it('is resumed by Lambda\'s own retries at +60 s and +180 s, within ten minutes, without sending anything twice', async () => {
    const { curator, killedMailer, queue } = await killedDigest();
    const crashedAt = curator.clock.now().getTime();

    curator.clock.set(new Date(crashedAt + 60_000));
    expect(await curator.handler(scheduledEvent('daily_digest', digestFiring), { awsRequestId: 'retry-1' })).toMatchObject({ status: 'skipped', reason: 'requeued' });
    curator.clock.set(new Date(crashedAt + 180_000));
    expect(await curator.handler(scheduledEvent('daily_digest', digestFiring), { awsRequestId: 'retry-2' })).toMatchObject({ status: 'skipped', reason: 'requeued' });
    // Each re-queued for just after the lease: the first at +60 s + (360 - 60) s + 5 s, well inside ten minutes.
    expect(queue.delays).toEqual([leaseSeconds - 60 + 5, leaseSeconds - 180 + 5]);
    expect(60 + queue.delays[0]!).toBeLessThan(600);

    curator.clock.set(new Date(crashedAt + (leaseSeconds + 5) * 1_000));
    const resumed = await curator.handler(sqs(queue.queued.shift(), 'resume-1'), { awsRequestId: 'resume-1' });
    expect(resumed).toEqual({ batchItemFailures: [] });
    expect(await curator.handler(sqs(queue.queued.shift(), 'resume-2'), { awsRequestId: 'resume-2' })).toEqual({ batchItemFailures: [] });
    expect(queue.queued).toHaveLength(0);

    expect(await runRow(db!.sql, 'daily_digest')).toMatchObject({ status: 'succeeded', lease_owner: null });
    const rows = await executionsBySubject(db!.sql, 'daily_digest', '2026-11-23');
    expect(rows).toHaveLength(33);
    expect(rows.every((row) => row.n === 1 && row.status !== 'pending' && row.status !== 'failed')).toBe(true);
    // The request that was in flight when the process died is unknown: it is not sent again.
    expect(rows.filter((row) => row.status === 'unknown')).toHaveLength(killedMailer.requests[2]!);
    const sent = [...killedMailer.sent, ...curator.mailer.sent].map((email) => email.userId);
    expect(sent).toHaveLength(23);
    expect(new Set(sent).size).toBe(23);
    expect(curator.metrics.total(MetricName.StuckRuns)).toBe(1);
  });

  it('is resumed through the work queue by the health job when nothing delivers it again', async () => {
    const { curator, killedMailer, queue } = await killedDigest();
    curator.clock.advance((leaseSeconds + 1) * 1_000);
    const health = await curator.handler({ detail: { jobType: 'health' } });
    expect(health).toMatchObject({ kind: 'health', health: { recovered: { newlyStuck: { daily_digest: 1 }, resumed: 1 } } });
    expect(curator.metrics.total(MetricName.StuckRuns)).toBe(1);
    expect(queue.queued).toHaveLength(1);
    expect(await curator.handler(sqs(queue.queued.shift(), 'resume'))).toEqual({ batchItemFailures: [] });
    expect(await runRow(db!.sql, 'daily_digest')).toMatchObject({ status: 'succeeded', attempt: 2 });
    const sent = [...killedMailer.sent, ...curator.mailer.sent].map((email) => email.userId);
    expect(sent).toHaveLength(23);
    expect(new Set(sent).size).toBe(23);
  });
});

describe('credits whose outcome a crash left unknown (loss 3)', () => {
  it('are settled exactly once by the documented replay of failed or unknown outcomes, and the firing finishes the rest', async () => {
    db = await openTestDatabase();
    await seedReferrals(db.sql, 9);
    const injected = faults();
    const curator = curatorHarness(db, { start: new Date(referralFiring.getTime() + 60_000), pageSize: 3, faults: injected });
    (curator.deps as { config: object }).config = { ...curator.deps.config, pagesInFlight: 1 };
    // Killed right after Stripe answered the second page: paid, but not recorded.
    let calls = 0;
    const credit = curator.payments.credit.bind(curator.payments);
    curator.payments.credit = async (movements) => {
      const answers = await credit(movements);
      calls += 1;
      if (calls === 2) {
        injected.freeze();
        return new Promise(() => undefined);
      }
      return answers;
    };
    void curator.handler(scheduledEvent('referral_rewards', referralFiring), { awsRequestId: 'killed' });
    await until(() => injected.frozen);
    expect(curator.payments.transactions).toHaveLength(6);

    const next = curatorHarness(db, { start: new Date(referralFiring.getTime() + (leaseSeconds + 120) * 1_000), pageSize: 3 });
    next.payments.transactions.push(...curator.payments.transactions);
    const replay = await next.handler(
      replayEvent({ jobType: 'referral_rewards', from: '2026-11-23T00:00:00Z' }, 'ops-replay-unknown'),
    );
    expect(tallyOf(replay)).toMatchObject({ executed: 3, unchanged: 0 });
    expect(next.payments.transactions).toHaveLength(6);
    expect(await next.handler(scheduledEvent('referral_rewards', referralFiring))).toMatchObject({ status: 'succeeded' });
    await expectEveryReferralPaidOnce(db.sql, next, 9);
  });
});

describe('a kill switch turned off while pages are in flight (loss 4)', () => {
  it('stops every provider request after the first read that sees it off; what was claimed is held, and replayed once', async () => {
    db = await openTestDatabase();
    await seedDigestPopulation(db.sql, digestFiring, { engaged: 40, idle: 0, lukewarm: 0, optedOut: 0, suppressed: 0 });
    const curator = curatorHarness(db, { start: new Date(digestFiring.getTime() + 1_000), pageSize: 5 });
    // Every switch read and every request, in the order they happen.
    const events: Array<'read-on' | 'read-off' | 'send'> = [];
    const switches = curator.switches;
    const watched: SwitchSource = {
      async read() {
        const snapshot = await switches.read();
        events.push(snapshot.parameters?.get('daily-digest/enabled') === 'false' ? 'read-off' : 'read-on');
        return snapshot;
      },
    };
    (curator.deps as { switches: SwitchSource }).switches = watched;
    // Recording a page takes a while (a database a few milliseconds away), so pages decided before the switch goes
    // off reach their requests after later pages were loaded: the window in which batches used to go out anyway.
    const store = curator.deps.store;
    const recordDecisions = store.recordDecisions.bind(store);
    store.recordDecisions = async (input) => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return recordDecisions(input);
    };
    const send = curator.mailer.send.bind(curator.mailer);
    let flipped = false;
    curator.mailer.send = async (emails) => {
      events.push('send');
      // Ops turn the switch off while the first batch is out.
      if (!flipped) switches.set('daily-digest/enabled', 'false');
      flipped = true;
      return send(emails);
    };
    const summary = await curator.handler(scheduledEvent('daily_digest', digestFiring));
    const firstOff = events.indexOf('read-off');
    expect(firstOff).toBeGreaterThan(0);
    expect(events.slice(firstOff).includes('send')).toBe(false);
    const sentBefore = curator.mailer.sent.length;
    expect(sentBefore).toBeLessThan(40);
    expect(tallyOf(summary).vetoed.KILL_SWITCH_ACTIVE).toBe(40 - sentBefore);
    expect(await statuses(db.sql, 'daily_digest')).toEqual({ succeeded: sentBefore, vetoed: 40 - sentBefore });
    // No email row is left for what never went.
    const [queued] = await db.sql.query<{ n: number }>(`select count(*)::int as n from email_delivery_log where status <> 'sent'`);
    expect(queued!.n).toBe(0);

    switches.set('daily-digest/enabled', 'true');
    curator.clock.advance(30 * 60_000);
    await curator.handler(replayEvent({ jobType: 'daily_digest', vetoReason: 'KILL_SWITCH_ACTIVE', from: '2026-11-23T19:00:00Z', to: '2026-11-23T20:30:00Z' }));
    expect(curator.mailer.sent).toHaveLength(40);
    expect(new Set(curator.mailer.sent.map((email) => email.userId)).size).toBe(40);
  });
});

describe('signals Postgres cannot store as they came (loss 5)', () => {
  const crisis = (userId: string, detail: Record<string, unknown>) =>
    signalEvent({
      signalId: `sig-${Math.random().toString(36).slice(2, 10)}`,
      jobType: 'crisis_alert',
      userId,
      confidence: 0.99,
      signalCount: 1,
      eventTimestamp: '2026-11-23T19:59:00Z',
      ...detail,
    });

  it('sends a crisis alert whose context holds a NUL, keeping the context cleaned as evidence', async () => {
    db = await openTestDatabase();
    const [family] = await insertUsers(db.sql, 1);
    const curator = curatorHarness(db, { start: new Date('2026-11-23T20:00:00Z') });
    const summary = await curator.handler(crisis(family!, { context: { note: 'a\u0000b', deep: JSON.parse('['.repeat(5_000) + ']'.repeat(5_000)) } }));
    expect(tallyOf(summary)).toMatchObject({ executed: 1, emailsSent: 1 });
    const [row] = await db.sql.query<{ status: string; trigger_data: Record<string, any> }>(`select status, trigger_data from pipeline_executions`);
    expect(row).toMatchObject({ status: 'succeeded', trigger_data: { context_cleaned: true, context: { note: 'a\uFFFDb' } } });
  });

  it.each([
    ['a NUL in its signal id', { signalId: 'sig\u0000nul' }],
    ['a lone surrogate in its signal id', { signalId: 'sig-\ud800' }],
    ['a signal count of 2^31', { signalCount: 2 ** 31 }],
  ])('records a crisis alert with %s as escalated, counted, never dropped', async (_what, detail) => {
    db = await openTestDatabase();
    const [family] = await insertUsers(db.sql, 1);
    const curator = curatorHarness(db, { start: new Date('2026-11-23T20:00:00Z') });
    const event = crisis(family!, detail);
    const summary = await curator.handler(event);
    expect(tallyOf(summary)).toMatchObject({ escalated: 1, executed: 0 });
    expect(curator.metrics.total(MetricName.CrisisEscalations)).toBe(1);
    expect(curator.metrics.total(MetricName.InvalidEvents)).toBe(1);
    const rows = await db.sql.query<{ status: string; error: string; user_id: string }>(`select status, error, user_id from pipeline_executions`);
    expect(rows).toEqual([{ status: 'escalated', user_id: family, error: expect.stringMatching(/could not be read/) }]);
    // The app's retry of the same event is the same decision, recorded once.
    await curator.handler(event);
    expect(await db.sql.query(`select 1 from pipeline_executions`)).toHaveLength(1);
  });

  it('refuses such a signal for another pipeline, naming the field, and writes nothing', async () => {
    db = await openTestDatabase();
    const [family] = await insertUsers(db.sql, 1);
    const curator = curatorHarness(db, { start: new Date('2026-11-23T20:00:00Z') });
    const result = await curator.handler(crisis(family!, { jobType: 'story_failure', signalId: 'sig\u0000nul' }));
    expect(result).toEqual({ ok: false, error: expect.stringMatching(/^detail\.signalId: must not contain NUL/) });
    expect(await db.sql.query(`select 1 from pipeline_executions`)).toEqual([]);
  });
});

describe('a scheduled firing from the future (loss 6)', () => {
  it('is refused by the curator\'s own clock, so the real firing of that period is not skipped', async () => {
    db = await openTestDatabase();
    await seedDigestPopulation(db.sql, digestFiring, { engaged: 3, idle: 0, lukewarm: 0, optedOut: 0, suppressed: 0 });
    const curator = curatorHarness(db, { start: new Date(digestFiring.getTime() + 1_000) });
    const future = await curator.handler(scheduledEvent('daily_digest', new Date('2099-06-01T20:00:00Z')));
    expect(future).toEqual({ ok: false, error: expect.stringMatching(/^time: 2099-06-01T20:00:00.000Z is later than the curator's clock/) });
    expect(await db.sql.query(`select 1 from pipeline_runs`)).toEqual([]);
    expect(tallyOf(await curator.handler(scheduledEvent('daily_digest', digestFiring))).executed).toBe(3);
  });
});
