import { generateKeyPairSync, sign } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock, type ManualClock } from '../../src/adapters/clock.js';
import { memoryLogger } from '../../src/adapters/json-logger.js';
import { memoryMetrics, type MemoryMetrics } from '../../src/adapters/local/metrics.js';
import type { Continuations, OutgoingEmail } from '../../src/curator/ports.js';
import { createSendGridWebhookHandler } from '../../src/handlers/sendgrid-webhook.js';
import type { FunctionUrlEvent } from '../../src/handlers/function-url.js';
import { publicKeyOf } from '../../src/adapters/sendgrid/event-webhook.js';
import type { WebhookDeps } from '../../src/wiring/webhook.js';
import { CuratorStore } from '../../src/store/curator-store.js';
import { sqlTransport } from '../../src/store/sql-transport.js';
import { curatorHarness, runLosingFirstRequest, scheduledEvent, tallyOf, type Harness } from '../support/curator-harness.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { seedDigestPopulation } from '../support/population.js';
import { eventContinuations } from '../../src/adapters/aws/sqs-continuations.js';

const firing = new Date('2026-11-23T20:00:00Z');
const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

let db: TestDatabase;
let curator: Harness;
let webhook: ReturnType<typeof createSendGridWebhookHandler>;
let webhookClock: ManualClock;
let webhookMetrics: MemoryMetrics;
/** What the curator put on its work queue. */
let queued: Array<Readonly<Record<string, unknown>>>;
let eventNumber = 0;

/** A signed delivery of SendGrid events, as the webhook's function URL receives it. */
function delivery(events: unknown[], at: Date): FunctionUrlEvent {
  const body = JSON.stringify(events);
  const timestamp = String(Math.floor(at.getTime() / 1_000));
  return {
    requestContext: { http: { method: 'POST' } },
    headers: {
      'X-Twilio-Email-Event-Webhook-Signature': sign('sha256', Buffer.from(timestamp + body), privateKey).toString('base64'),
      'X-Twilio-Email-Event-Webhook-Timestamp': timestamp,
    },
    body,
    isBase64Encoded: false,
  };
}

/** What SendGrid posts about one message: its custom args come back as top-level fields. */
function event(email: OutgoingEmail, kind: string, at: Date) {
  eventNumber += 1;
  return {
    email: email.to,
    timestamp: Math.floor(at.getTime() / 1_000),
    event: kind,
    sg_event_id: `evidence-${eventNumber}`,
    sg_message_id: `message-${email.executionId.slice(0, 8)}.filter0001`,
    execution_id: email.executionId,
    email_type: email.emailType,
    ...(email.requestBatch ? { curator_batch_id: email.requestBatch } : {}),
  };
}

const outcomes = () =>
  db.sql.query<{ execution: string; email: string | null; n: number }>(
    `select e.status as execution, l.status as email, count(*)::int as n
     from pipeline_executions e left join email_delivery_log l on l.execution_id = e.id
     where e.pipeline_type = 'daily_digest' group by 1, 2 order by 1, 2`,
  );

beforeEach(async () => {
  db = await openTestDatabase();
  await seedDigestPopulation(db.sql, firing, { engaged: 8, idle: 0, lukewarm: 0, optedOut: 0, suppressed: 0 });
  queued = [];
  const continuations: Continuations = eventContinuations(async (events) => {
    queued.push(...events);
  });
  curator = curatorHarness(db, { start: new Date(firing.getTime() + 1_000), pageSize: 4, continuations });
  webhookClock = manualClock(new Date(firing.getTime() + 600_000));
  webhookMetrics = memoryMetrics();
  webhook = webhookWith();
});

/** The webhook as deployed with a work queue (settling what it can as deliveries come), or without one. */
function webhookWith(settlement?: WebhookDeps['settlement']) {
  return createSendGridWebhookHandler(async () => ({
    store: new CuratorStore(sqlTransport(db.sql)),
    metrics: webhookMetrics,
    logger: memoryLogger(),
    clock: webhookClock,
    publicKey: publicKeyOf(publicKey.export({ format: 'der', type: 'spki' }).toString('base64')),
    toleranceSeconds: 300,
    ...(settlement ? { settlement } : {}),
  }));
}
afterEach(async () => {
  await db?.close();
});

describe('SendGrid\'s events settle an email whose outcome was unknown', () => {
  it('names each request\'s batch in its emails, and settles the whole batch sent on one event of one message', async () => {
    // Every request times out after it left: SendGrid may have it, the curator cannot know.
    const asked: OutgoingEmail[] = [];
    curator.mailer.failWith = (email) => {
      asked.push(email);
      return 'unknown';
    };
    const run = await curator.handler(scheduledEvent('daily_digest', firing));
    expect(tallyOf(run)).toMatchObject({ executed: 0, unknown: 8 });
    expect(await outcomes()).toEqual([{ execution: 'unknown', email: 'queued', n: 8 }]);
    // Two pages of four: two request batches, each named on its emails.
    const batches = [...new Set(asked.map((email) => email.requestBatch))];
    expect(batches).toHaveLength(2);
    const recorded = await db.sql.query<{ id: string }>(`select id from pipeline_request_batches order by created_at`);
    expect(recorded.map((row) => row.id).sort()).toEqual([...batches].sort());

    // SendGrid's Processed event of one message of the first batch proves that whole request was accepted.
    const first = asked.find((email) => email.requestBatch === batches[0])!;
    const answer = await webhook(delivery([event(first, 'processed', new Date(firing.getTime() + 30_000))], new Date(firing.getTime() + 600_000)));
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ settled_sent: 4 });
    expect(await outcomes()).toEqual([
      { execution: 'succeeded', email: 'sent', n: 4 },
      { execution: 'unknown', email: 'queued', n: 4 },
    ]);
    const [evidence] = await db.sql.query(`select evidence_event, evidence_at from pipeline_request_batches where id = $1`, [batches[0]]);
    expect(evidence).toMatchObject({ evidence_event: 'processed' });

    // A delivered event for the second batch, without curator_batch_id (an older message): its execution names the batch.
    const second = asked.find((email) => email.requestBatch === batches[1])!;
    const { requestBatch: _dropped, ...older } = second;
    void _dropped;
    const again = await webhook(delivery([event(older, 'delivered', new Date(firing.getTime() + 40_000))], new Date(firing.getTime() + 600_000)));
    expect(JSON.parse(again.body)).toMatchObject({ settled_sent: 4 });
    expect(await outcomes()).toEqual([
      { execution: 'succeeded', email: 'delivered', n: 1 },
      { execution: 'succeeded', email: 'sent', n: 7 },
    ]);
    // Nothing was sent twice: the mailer was asked once per family.
    expect(asked).toHaveLength(8);
  });

  it('settles a claim left pending by a crash as succeeded when the evidence came first', async () => {
    // The process dies after recording the page's batch and before recording what SendGrid answered: the claims
    // stay pending with their batch recorded (as the run would leave them, made here by hand from an unknown run).
    curator.mailer.failWith = () => 'unknown';
    await curator.handler(scheduledEvent('daily_digest', firing));
    await db.sql.query(`update pipeline_executions set status = 'pending', completed_at = null where status = 'unknown'`);
    const [{ batch }] = (await db.sql.query<{ batch: string }>(`select request_batch as batch from pipeline_executions where request_batch is not null limit 1`)) as [{ batch: string }];
    const [target] = await db.sql.query<{ id: string; email: string }>(
      `select e.id, u.email from pipeline_executions e join users u on u.id = e.user_id where e.request_batch = $1 limit 1`,
      [batch],
    );
    const email: OutgoingEmail = { executionId: target!.id, userId: '', to: target!.email, emailType: 'daily_digest', templateId: 't', templateData: {}, requestBatch: batch };
    expect(JSON.parse((await webhook(delivery([event(email, 'processed', new Date(firing.getTime() + 20_000))], new Date(firing.getTime() + 600_000)))).body)).toMatchObject({ settled_sent: 0 });
    // Then whoever settles the dead invocation's claims finds the evidence: sent, not unknown.
    await db.sql.query(`select curator_settle_executions(array(select id from pipeline_executions where request_batch = $1), now(), 'the run stopped')`, [batch]);
    const statuses = await db.sql.query<{ status: string; email: string }>(
      `select e.status, l.status as email from pipeline_executions e join email_delivery_log l on l.execution_id = e.id where e.request_batch = $1`,
      [batch],
    );
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((row) => row.status === 'succeeded' && row.email === 'sent')).toBe(true);
  });
});

const minutes = (n: number) => new Date(firing.getTime() + n * 60_000);

/**
 * The digest run, where the first page's request never reaches SendGrid (the invocation died after recording its
 * batch and before the request left): its four emails are left unknown, the other page's four are sent.
 */
async function runWithOneRequestLost(): Promise<{ lost: string; asked: OutgoingEmail[] }> {
  const lost = await runLosingFirstRequest(curator, firing);
  expect(await outcomes()).toEqual([
    { execution: 'succeeded', email: 'sent', n: 4 },
    { execution: 'unknown', email: 'queued', n: 4 },
  ]);
  return { lost, asked: [...curator.mailer.sent] };
}

/** A request the curator recorded `at`, and SendGrid's Processed event for it, delivered to the webhook. */
async function laterRequestProcessed(at: Date): Promise<void> {
  const [batch] = await db.sql.query<{ id: string }>(`insert into pipeline_request_batches (id, created_at) values (gen_random_uuid(), $1) returning id`, [at]);
  const [family] = await db.sql.query<{ id: string; email: string }>(`select id, email from users limit 1`);
  const email: OutgoingEmail = { executionId: '00000000-0000-4000-8000-000000000001', userId: family!.id, to: family!.email, emailType: 'daily_digest', templateId: 't', templateData: {}, requestBatch: batch!.id };
  webhookClock.set(new Date(at.getTime() + 60_000));
  expect((await webhook(delivery([event(email, 'processed', at)], webhookClock.now()))).statusCode).toBe(200);
}

async function health(at: Date) {
  curator.clock.set(at);
  const result = await curator.handler({ detail: { jobType: 'health' } });
  if (!result.ok || result.kind !== 'health') throw new Error(`health answered ${JSON.stringify(result)}`);
  return result.health as Record<string, unknown> & { emailsInDoubt: Record<string, unknown> };
}

const inDoubtGauge = () => curator.metrics.points.filter((point) => point.name === 'EmailsInDoubt').map((point) => point.value);

describe('an email whose request SendGrid never received', () => {
  it('waits out the grace window, then is settled failed, replayed from the work queue and sent once', async () => {
    const { lost } = await runWithOneRequestLost();
    await laterRequestProcessed(minutes(15));

    // Within the grace window nothing is settled: SendGrid's events may still come.
    const early = await health(minutes(20));
    expect(early.emailsInDoubt).toMatchObject({ awaiting: 4, failed: 0, inDoubt: 0, replaysQueued: 0 });
    expect(queued).toEqual([]);

    const settled = await health(minutes(35));
    expect(settled.emailsInDoubt).toMatchObject({ awaiting: 0, failed: 4, superseded: 0, inDoubt: 0, replaysQueued: 1 });
    expect(inDoubtGauge()).toEqual([0, 0]);
    expect(await outcomes()).toEqual([
      { execution: 'failed', email: 'failed', n: 4 },
      { execution: 'succeeded', email: 'sent', n: 4 },
    ]);
    const [batch] = await db.sql.query(`select settled_failed_at, settled_failed_emails from pipeline_request_batches where id = $1`, [lost]);
    expect(batch).toMatchObject({ settled_failed_emails: 4 });

    // The replay of failed outcomes it queued resends exactly those four: every family has its digest once.
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ source: 'storytailor.manual', 'detail-type': 'retry', detail: { jobType: 'daily_digest', retry: true } });
    const replay = await curator.handler(queued[0]!);
    expect(tallyOf(replay)).toMatchObject({ executed: 4 });
    const families = curator.mailer.sent.map((email) => email.userId);
    expect(families).toHaveLength(8);
    expect(new Set(families).size).toBe(8);
    expect(await outcomes()).toEqual([{ execution: 'succeeded', email: 'sent', n: 8 }]);

    // The next check finds nothing left to settle or queue.
    queued.length = 0;
    expect((await health(minutes(50))).emailsInDoubt).toMatchObject({ failed: 0, inDoubt: 0, replaysQueued: 0 });
    expect(queued).toEqual([]);
  });

  it('is settled failed by the webhook\'s first delivery past the grace window, once, and replayed from the work queue', async () => {
    const settling = webhookWith({
      continuations: eventContinuations(async (events) => {
        queued.push(...events);
      }),
      config: { evidenceGraceMinutes: 30 },
    });
    const { asked } = await runWithOneRequestLost();
    await laterRequestProcessed(minutes(15));
    const deliver = async (at: Date) => {
      webhookClock.set(at);
      const answer = await settling(delivery([event(asked[0]!, 'delivered', at)], at));
      expect(answer.statusCode).toBe(200);
      return JSON.parse(answer.body) as Record<string, unknown>;
    };

    // Within the grace window a delivery settles nothing; half a minute later the container does not look again.
    expect(await deliver(minutes(20))).toMatchObject({ settled_failed: 0, replays_queued: 0 });
    expect(await deliver(new Date(minutes(20).getTime() + 30_000))).not.toHaveProperty('settled_failed');
    expect(queued).toEqual([]);

    // The first delivery past it settles the lost request failed and queues its replay: no health job needed.
    expect(await deliver(minutes(32))).toMatchObject({ settled_failed: 4, settled_superseded: 0, replays_queued: 1 });
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ 'detail-type': 'retry', detail: { jobType: 'daily_digest', retry: true } });
    expect(await deliver(minutes(34))).toMatchObject({ settled_failed: 0, replays_queued: 0 });

    // The health job finds it settled and queues nothing more; the one replay sends the four, each family once.
    expect((await health(minutes(45))).emailsInDoubt).toMatchObject({ failed: 0, inDoubt: 0, replaysQueued: 0 });
    expect(queued).toHaveLength(1);
    expect(tallyOf(await curator.handler(queued[0]!))).toMatchObject({ executed: 4 });
    const families = curator.mailer.sent.map((email) => email.userId);
    expect(families).toHaveLength(8);
    expect(new Set(families).size).toBe(8);
  });

  it('is recorded superseded, not sent late, once its pipeline has fired again', async () => {
    await runWithOneRequestLost();
    await laterRequestProcessed(minutes(15));
    // The health job was down for a day: the next digest fired before anyone settled these.
    const settled = await health(minutes(24 * 60 + 10));
    expect(settled.emailsInDoubt).toMatchObject({ failed: 0, superseded: 4, replaysQueued: 0 });
    expect(queued).toEqual([]);
    expect(await outcomes()).toEqual([
      { execution: 'skipped', email: 'failed', n: 4 },
      { execution: 'succeeded', email: 'sent', n: 4 },
    ]);
  });

  it('stays unknown, counted in doubt and never resent, when no later request has Processed events (Processed off)', async () => {
    await runWithOneRequestLost();
    const result = await health(minutes(45));
    expect(result.status).toBe('unhealthy');
    expect(result.emailsInDoubt).toMatchObject({ failed: 0, inDoubt: 4, inDoubtBecause: { 'no later Processed events': 4 }, replaysQueued: 0 });
    expect(inDoubtGauge()).toEqual([4]);
    expect(queued).toEqual([]);
    expect(await outcomes()).toContainEqual({ execution: 'unknown', email: 'queued', n: 4 });
  });

  it('stays unknown, counted in doubt and never resent, when the webhook refused a delivery since', async () => {
    await runWithOneRequestLost();
    // A delivery whose signature does not verify (a rotated key, say): it may have held the lost batch's events.
    webhookClock.set(minutes(5));
    const forged = { ...delivery([{ event: 'processed' }], minutes(5)) };
    forged.headers = { ...forged.headers, 'X-Twilio-Email-Event-Webhook-Signature': 'AAAA' };
    expect((await webhook(forged)).statusCode).toBe(401);
    await laterRequestProcessed(minutes(15));

    const result = await health(minutes(45));
    expect(result.emailsInDoubt).toMatchObject({ failed: 0, inDoubt: 4, inDoubtBecause: { 'the webhook failed since': 4 }, replaysQueued: 0 });
    expect(inDoubtGauge()).toEqual([4]);
    expect(queued).toEqual([]);
    expect(curator.mailer.sent).toHaveLength(4);
  });

  it('stays unknown when CloudWatch saw the webhook fail since, and when CloudWatch cannot be read', async () => {
    const troubles: Array<Date | null | Error> = [minutes(10), new Error('AccessDenied')];
    const watched = curatorHarness(db, {
      start: new Date(firing.getTime() + 1_000),
      pageSize: 4,
      webhookMetrics: {
        read: async () => ({ functionName: 'storytailor-sendgrid-webhook-staging', invocations: 0, errors: 0, throttles: 0 }),
        lastTrouble: async () => {
          const next = troubles.shift() ?? null;
          if (next instanceof Error) throw next;
          return next;
        },
      },
    });
    curator = watched;
    await runWithOneRequestLost();
    await laterRequestProcessed(minutes(15));
    expect((await health(minutes(45))).emailsInDoubt).toMatchObject({ failed: 0, inDoubt: 4, inDoubtBecause: { 'the webhook failed since': 4 } });
    expect((await health(minutes(60))).emailsInDoubt).toMatchObject({ failed: 0, inDoubt: 4, inDoubtBecause: { 'the webhook failed since': 4 } });
    // A clean day since: the rule holds, and they are settled.
    expect((await health(minutes(75))).emailsInDoubt).toMatchObject({ failed: 4, inDoubt: 0 });
  });

  it('counts evidence that comes after all as LateEvidence, and settles the emails sent when not resent yet', async () => {
    const { lost } = await runWithOneRequestLost();
    await laterRequestProcessed(minutes(15));
    await health(minutes(35));
    expect(queued).toHaveLength(1);

    // SendGrid had the request after all: its events were an hour late.
    const [family] = await db.sql.query<{ id: string; email: string }>(
      `select e.id, u.email from pipeline_executions e join users u on u.id = e.user_id where e.request_batch = $1 limit 1`,
      [lost],
    );
    const email: OutgoingEmail = { executionId: family!.id, userId: '', to: family!.email, emailType: 'daily_digest', templateId: 't', templateData: {}, requestBatch: lost };
    webhookClock.set(minutes(70));
    const answer = JSON.parse((await webhook(delivery([event(email, 'processed', minutes(2))], minutes(70)))).body);
    expect(answer).toMatchObject({ late_evidence: 1, settled_sent: 4 });
    expect(webhookMetrics.points.filter((point) => point.name === 'LateEvidence')).toEqual([expect.objectContaining({ value: 1 })]);
    const [late] = await db.sql.query(`select evidence_event, emails from email_late_evidence where batch_id = $1`, [lost]);
    expect(late).toEqual({ evidence_event: 'processed', emails: 4 });
    expect(await outcomes()).toEqual([{ execution: 'succeeded', email: 'sent', n: 8 }]);

    // The replay queued before finds them sent: nothing goes twice.
    await curator.handler(queued[0]!);
    expect(curator.mailer.sent).toHaveLength(4);
  });
});
