import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Continuations, OutgoingEmail } from '../../src/curator/ports.js';
import { storeFunctions } from '../../src/store/functions.js';
import { CuratorStore } from '../../src/store/curator-store.js';
import { sqlTransport } from '../../src/store/sql-transport.js';
import { curatorHarness, signalEvent, tallyOf, type Harness } from '../support/curator-harness.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { faults } from '../support/faults.js';
import { insertUsers } from '../support/seed.js';
import { eventContinuations } from '../../src/adapters/aws/sqs-continuations.js';

const detected = new Date('2026-11-23T20:00:00.000Z');
const seconds = (n: number) => new Date(detected.getTime() + n * 1_000);

let db: TestDatabase;
let family: string;

/** A work queue the test reads: each message with its DelaySeconds. */
function workQueue() {
  const messages: Array<{ event: Readonly<Record<string, unknown>>; delaySeconds: number }> = [];
  const continuations: Continuations = eventContinuations(async (events, options = {}) => {
    for (const event of events) messages.push({ event, delaySeconds: options.delaySeconds ?? 0 });
  });
  return { messages, continuations };
}

/** One invocation's curator over the database, at `at`, with its own work queue. */
function invocation(at: Date, options: { faulty?: ReturnType<typeof faults> } = {}) {
  const queue = workQueue();
  const curator = curatorHarness(db, { start: at, continuations: queue.continuations, ...(options.faulty ? { faults: options.faulty } : {}) });
  return { curator, queue };
}

const alert = () =>
  signalEvent({ signalId: 'crisis-check-1', jobType: 'crisis_alert', userId: family, confidence: 0.97, signalCount: 1, eventTimestamp: seconds(-30).toISOString() });

const executionRow = async () =>
  (
    await db.sql.query<{ id: string; status: string; unconfirmed_resends: number; error: string | null }>(
      `select id, status, unconfirmed_resends, error from pipeline_executions where period_key = 'crisis-check-1'`,
    )
  )[0]!;

/** The invocation dies after the alert's request batch is recorded and before its request leaves: SendGrid never gets it. */
async function claimedThenKilled(): Promise<{ check: Readonly<Record<string, unknown>>; delaySeconds: number }> {
  const faulty = faults();
  const { curator, queue } = invocation(seconds(0), { faulty });
  curator.mailer.failWith = () => {
    faulty.freeze();
    return 'unknown';
  };
  void curator.handler(alert());
  for (let i = 0; i < 200 && !faulty.frozen; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(faulty.frozen).toBe(true);
  expect(curator.mailer.sent).toEqual([]);
  expect(queue.messages).toHaveLength(1);
  return { check: queue.messages[0]!.event, delaySeconds: queue.messages[0]!.delaySeconds };
}

beforeEach(async () => {
  db = await openTestDatabase();
  [family] = (await insertUsers(db.sql, 1, { prefix: 'crisis-check' })) as [string];
});
afterEach(async () => {
  await db?.close();
});

describe('the check of a crisis alert two minutes after its claim', () => {
  it('is queued on the work queue with a delay of 120 seconds, before the alert is sent, and finds it sent', async () => {
    const { curator, queue } = invocation(seconds(0));
    expect(tallyOf(await curator.handler(alert()))).toMatchObject({ executed: 1 });
    expect(queue.messages).toEqual([
      { event: { source: 'storytailor.curator', 'detail-type': 'Crisis Alert Check', detail: { jobType: 'crisis_alert', executionId: (await executionRow()).id } }, delaySeconds: 120 },
    ]);
    const later = invocation(seconds(120));
    expect(await later.curator.handler(queue.messages[0]!.event)).toMatchObject({ ok: true, kind: 'crisis_check', state: 'confirmed' });
    expect(later.curator.mailer.sent).toEqual([]);
  });

  it('sends it once more when no redelivery came, then escalates it when still unconfirmed', async () => {
    const { check } = await claimedThenKilled();
    expect(await executionRow()).toMatchObject({ status: 'pending', unconfirmed_resends: 0 });

    // Two minutes on, no SendGrid event: the alert is sent once more, and that claim queues its own check.
    const second = invocation(seconds(125));
    const resent: OutgoingEmail[] = [];
    second.curator.mailer.failWith = (email) => {
      resent.push(email);
      return 'unknown';
    };
    const result = await second.curator.handler(check);
    expect(result).toMatchObject({ kind: 'crisis_check', state: 'resend', tally: { escalated: 0 } });
    expect(resent).toHaveLength(1);
    expect(resent[0]).toMatchObject({ userId: family, emailType: 'crisis_alert' });
    expect(await executionRow()).toMatchObject({ status: 'unknown', unconfirmed_resends: 1 });
    expect(second.queue.messages).toEqual([{ event: check, delaySeconds: 120 }]);

    // The app's redelivery of the signal now finds its one extra send spent: nothing more goes.
    const redelivered = invocation(seconds(200));
    expect(tallyOf(await redelivered.curator.handler(alert()))).toMatchObject({ executed: 0, unchanged: 1 });
    expect(redelivered.curator.mailer.requests).toEqual([]);

    // Still no event two minutes after the resend: escalated for a human, never sent a third time.
    const third = invocation(seconds(250));
    expect(await third.curator.handler(check)).toMatchObject({ kind: 'crisis_check', state: 'escalate' });
    expect(third.curator.mailer.requests).toEqual([]);
    expect(await executionRow()).toMatchObject({ status: 'escalated', error: expect.stringMatching(/after its one resend/) });
    expect(third.curator.metrics.total('CrisisEscalations')).toBe(1);
  });

  it('settles it sent, and sends nothing, when SendGrid has an event of its request', async () => {
    const { check } = await claimedThenKilled();
    // SendGrid had the request after all (the process died after it left): its Processed event came.
    const [row] = await db.sql.query<{ id: string; batch: string }>(`select id, request_batch as batch from pipeline_executions where period_key = 'crisis-check-1'`);
    await new CuratorStore(sqlTransport(db.sql)).call(storeFunctions.applyEmailEvents, {
      events: [{ sg_event_id: 'evt-1', event: 'processed', email: 'x@families.test', execution_id: row!.id, curator_batch_id: row!.batch, sg_message_id: 'm-1', timestamp: Math.floor(seconds(5).getTime() / 1_000), type: null }],
      now: seconds(40),
    });
    const later = invocation(seconds(125));
    expect(await later.curator.handler(check)).toMatchObject({ state: 'confirmed' });
    expect(later.curator.mailer.requests).toEqual([]);
    expect(await executionRow()).toMatchObject({ status: 'succeeded' });
  });

  it('leaves the judgement to the check of a later claim: a redelivery retook the alert a minute on', async () => {
    const { check } = await claimedThenKilled();
    // Lambda's retry a minute later retakes the pending alert (its one unconfirmed resend); that send goes unanswered.
    // (Its own queued email from the first claim does not count against the crisis cap of one an hour.)
    const retry = invocation(seconds(60));
    retry.curator.mailer.failWith = () => 'unknown';
    expect(tallyOf(await retry.curator.handler(alert()))).toMatchObject({ executed: 0, unknown: 1 });
    expect(retry.curator.mailer.requests).toEqual([1]);
    expect(await executionRow()).toMatchObject({ status: 'unknown', unconfirmed_resends: 1 });
    // The first claim's check comes a minute after that send: too early to judge it, so it looks again 110 s after it.
    const first = invocation(seconds(120));
    expect(await first.curator.handler(check)).toMatchObject({ state: 'early' });
    expect(first.queue.messages).toEqual([{ event: check, delaySeconds: 50 }]);
    expect(await executionRow()).toMatchObject({ status: 'unknown' });
    const then = invocation(seconds(170));
    expect(await then.curator.handler(check)).toMatchObject({ state: 'escalate' });
    expect(then.curator.mailer.requests).toEqual([]);
  });
});

describe('a crisis alert whose send goes unanswered', () => {
  it('is sent once more in the invocation, not twice, then left to its check', async () => {
    const { curator } = invocation(seconds(0));
    curator.mailer.failWith = () => 'unknown';
    expect(tallyOf(await curator.handler(alert()))).toMatchObject({ executed: 0, escalated: 0 });
    expect(curator.mailer.requests).toEqual([1, 1]);
    expect(await executionRow()).toMatchObject({ status: 'unknown', unconfirmed_resends: 1 });
  });

  it('is sent again freely when SendGrid refused it, since a refused send did not go', async () => {
    const { curator } = invocation(seconds(0));
    let attempts = 0;
    curator.mailer.failWith = () => (++attempts < 3 ? 'failed' : null);
    expect(tallyOf(await curator.handler(alert()))).toMatchObject({ executed: 1 });
    expect(attempts).toBe(3);
    expect(await executionRow()).toMatchObject({ status: 'succeeded', unconfirmed_resends: 0 });
  });
});
