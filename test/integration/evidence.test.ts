import { generateKeyPairSync, sign } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/adapters/clock.js';
import { memoryLogger } from '../../src/adapters/json-logger.js';
import { memoryMetrics } from '../../src/adapters/local/metrics.js';
import type { OutgoingEmail } from '../../src/curator/ports.js';
import { createSendGridWebhookHandler, publicKeyOf, type FunctionUrlEvent } from '../../src/handlers/sendgrid-webhook.js';
import { CuratorStore } from '../../src/store/curator-store.js';
import { sqlTransport } from '../../src/store/sql-transport.js';
import { curatorHarness, scheduledEvent, tallyOf, type Harness } from '../support/curator-harness.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { seedDigestPopulation } from '../support/population.js';

const firing = new Date('2026-11-23T20:00:00Z');
const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

let db: TestDatabase;
let curator: Harness;
let webhook: ReturnType<typeof createSendGridWebhookHandler>;
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
  curator = curatorHarness(db, { start: new Date(firing.getTime() + 1_000), pageSize: 4 });
  webhook = createSendGridWebhookHandler(async () => ({
    store: new CuratorStore(sqlTransport(db.sql)),
    metrics: memoryMetrics(),
    logger: memoryLogger(),
    clock: manualClock(new Date(firing.getTime() + 600_000)),
    publicKey: publicKeyOf(publicKey.export({ format: 'der', type: 'spki' }).toString('base64')),
    toleranceSeconds: 300,
  }));
});
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
