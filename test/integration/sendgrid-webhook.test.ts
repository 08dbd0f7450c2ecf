import { generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/adapters/clock.js';
import { memoryLogger } from '../../src/adapters/json-logger.js';
import { memoryMetrics } from '../../src/adapters/local/metrics.js';
import { createSendGridWebhookHandler } from '../../src/handlers/sendgrid-webhook.js';
import type { FunctionUrlEvent } from '../../src/handlers/function-url.js';
import { publicKeyOf } from '../../src/adapters/sendgrid/event-webhook.js';
import { CuratorStore } from '../../src/store/curator-store.js';
import { sqlTransport } from '../../src/store/sql-transport.js';
import { curatorHarness, scheduledEvent, tallyOf } from '../support/curator-harness.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { seedDigestPopulation } from '../support/population.js';

const firing = new Date('2026-11-23T20:00:00Z');
const now = new Date('2026-11-23T20:30:00Z');
const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
// As SendGrid's dashboard shows it: base64 of the DER public key.
const dashboardKey = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');

let db: TestDatabase;
let executions: Array<{ execution_id: string; user_id: string; email: string }>;
const metrics = memoryMetrics();
const logger = memoryLogger();
let webhook: ReturnType<typeof createSendGridWebhookHandler>;
let eventNumber = 0;

function signed(body: string, options: { timestamp?: number; base64?: boolean; key?: typeof privateKey } = {}): FunctionUrlEvent {
  const timestamp = String(options.timestamp ?? Math.floor(now.getTime() / 1_000));
  const signature = sign('sha256', Buffer.from(timestamp + body), options.key ?? privateKey).toString('base64');
  return {
    requestContext: { http: { method: 'POST' } },
    headers: { 'X-Twilio-Email-Event-Webhook-Signature': signature, 'X-Twilio-Email-Event-Webhook-Timestamp': timestamp, 'content-type': 'application/json' },
    body: options.base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: options.base64 ?? false,
  };
}

function sendGridEvent(target: { execution_id: string; email: string }, event: string, extra: Record<string, unknown> = {}) {
  eventNumber += 1;
  return {
    email: target.email,
    timestamp: Math.floor(now.getTime() / 1_000) - 600 + eventNumber,
    event,
    sg_event_id: `sg-event-${eventNumber}`,
    sg_message_id: `recipient-message-${target.execution_id.slice(0, 8)}.filter0001`,
    execution_id: target.execution_id,
    email_type: 'daily_digest',
    ...extra,
  };
}

const statusOf = async (executionId: string) =>
  (await db.sql.query<{ status: string; provider_message_id: string }>(`select status, provider_message_id from email_delivery_log where execution_id = $1`, [executionId]))[0];

beforeAll(async () => {
  db = await openTestDatabase();
  await seedDigestPopulation(db.sql, firing, { engaged: 11, idle: 0, lukewarm: 0, optedOut: 0, suppressed: 0 });
  await curatorHarness(db, { start: new Date(firing.getTime() + 1_000) }).handler(scheduledEvent('daily_digest', firing));
  executions = await db.sql.query(
    `select l.execution_id, l.user_id, u.email from email_delivery_log l join users u on u.id = l.user_id order by l.execution_id`,
  );
  webhook = createSendGridWebhookHandler(async () => ({
    store: new CuratorStore(sqlTransport(db.sql)),
    metrics,
    logger,
    clock: manualClock(now),
    publicKey: publicKeyOf(dashboardKey),
    toleranceSeconds: 300,
  }));
});
afterAll(async () => {
  await db?.close();
});

describe('the SendGrid event webhook', () => {
  it('refuses unsigned, forged and stale deliveries with 401, and garbage with 400, applying nothing', async () => {
    const body = JSON.stringify([sendGridEvent(executions[0]!, 'delivered')]);
    const unsigned = await webhook({ requestContext: { http: { method: 'POST' } }, headers: {}, body });
    expect(unsigned.statusCode).toBe(401);
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    expect((await webhook(signed(body, { key: other }))).statusCode).toBe(401);
    const tampered = signed(body);
    expect((await webhook({ ...tampered, body: body.replace('delivered', 'spamreport') })).statusCode).toBe(401);
    const stale = await webhook(signed(body, { timestamp: Math.floor(now.getTime() / 1_000) - 301 }));
    expect(stale).toMatchObject({ statusCode: 401, body: expect.stringContaining('stale') });
    expect((await webhook(signed('not json'))).statusCode).toBe(400);
    const malformed = await webhook(signed(JSON.stringify([{ event: 'delivered' }])));
    expect(malformed).toMatchObject({ statusCode: 400, body: expect.stringContaining('sg_event_id') });
    expect(await statusOf(executions[0]!.execution_id)).toMatchObject({ status: 'sent' });
    expect(await db.sql.query(`select count(*)::int as n from email_webhook_events`)).toEqual([{ n: 0 }]);
    // A refused delivery may have held the evidence of a request: noted (once a minute, however many come), so no
    // email of unknown outcome is settled failed for want of it. An unsigned request is not SendGrid's: not noted.
    expect(await db.sql.query(`select status, events from webhook_deliveries`)).toEqual([{ status: 401, events: 0 }]);
  });

  it('moves statuses forward, takes each recipient message id, and reads a base64 body from a function URL', async () => {
    const [a, b] = executions;
    const body = JSON.stringify([sendGridEvent(a!, 'delivered'), sendGridEvent(a!, 'open'), sendGridEvent(b!, 'delivered')]);
    const result = await webhook(signed(body, { base64: true }));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ received: 3, applied: 3, moved: 2 });
    expect(await statusOf(a!.execution_id)).toEqual({ status: 'opened', provider_message_id: expect.stringContaining('recipient-message-') });
    expect(await statusOf(b!.execution_id)).toMatchObject({ status: 'delivered' });
  });

  it('never moves a status backwards, and applies an event delivered twice once', async () => {
    const target = executions[2]!;
    const click = sendGridEvent(target, 'click');
    await webhook(signed(JSON.stringify([click])));
    const late = await webhook(signed(JSON.stringify([sendGridEvent(target, 'delivered'), sendGridEvent(target, 'open'), click])));
    expect(JSON.parse(late.body)).toMatchObject({ received: 3, applied: 2 });
    expect(await statusOf(target.execution_id)).toMatchObject({ status: 'clicked' });
  });

  it('suppresses bounced, complaining and unsubscribed addresses, counts them once, and the curator then holds them back', async () => {
    const [, , , bounced, complained, unsubscribed, grouped, blocked] = executions;
    const events = [
      sendGridEvent(bounced!, 'bounce', { type: 'bounce', reason: '550 5.1.1 mailbox unknown' }),
      sendGridEvent(complained!, 'spamreport'),
      sendGridEvent(unsubscribed!, 'unsubscribe'),
      sendGridEvent(grouped!, 'group_unsubscribe', { asm_group_id: 42 }),
      sendGridEvent(blocked!, 'bounce', { type: 'blocked' }),
    ];
    const first = await webhook(signed(JSON.stringify(events)));
    expect(JSON.parse(first.body)).toMatchObject({ suppressed: 4, bounces: 1, spamreports: 1, unsubscribes: 2 });
    await webhook(signed(JSON.stringify(events)));
    expect(metrics.total('Bounces')).toBe(1);
    expect(metrics.total('SpamReports')).toBe(1);
    expect(metrics.total('Unsubscribes')).toBe(2);
    expect(await statusOf(bounced!.execution_id)).toMatchObject({ status: 'bounced' });
    expect(await statusOf(complained!.execution_id)).toMatchObject({ status: 'spamreport' });
    const suppressions = await db.sql.query<{ email: string; reason: string }>(`select email, reason from email_suppressions order by reason`);
    expect(suppressions.map((row) => row.reason)).toEqual(['bounce', 'group_unsubscribe', 'spamreport', 'unsubscribe']);
    expect(suppressions.map((row) => row.email)).not.toContain(blocked!.email);

    const nextDay = new Date(firing.getTime() + 86_400_000);
    await db.sql.query(`insert into consumption_metrics (user_id, story_id, event_type, occurred_at) select user_id, story_id, event_type, occurred_at + interval '1 day' from consumption_metrics`);
    const next = await curatorHarness(db, { start: new Date(nextDay.getTime() + 1_000) }).handler(scheduledEvent('daily_digest', nextDay));
    expect(tallyOf(next).vetoed.USER_OPTED_OUT).toBe(4);
    expect(JSON.stringify(logger.lines)).not.toContain('@families.test');
  });

  it('applies a delivery with one bad event in it: the good ones, a damaged unsubscribe or spam report, and counts the rest (loss 6)', async () => {
    const [, , , , , , , , delivered, unsubscribed, complained] = executions;
    const events = [
      sendGridEvent(delivered!, 'delivered', { sg_message_id: 'recipient\u0000message' }),
      // A timestamp no database can store (year 31 million), on an unsubscribe.
      sendGridEvent(unsubscribed!, 'unsubscribe', { timestamp: 1e15 }),
      // A NUL inside the address, and no event id at all.
      { ...sendGridEvent(complained!, 'spamreport'), email: `${complained!.email}\u0000`, sg_event_id: undefined },
      { event: 'open', timestamp: 'soon' },
    ];
    const result = await webhook(signed(JSON.stringify(events)));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ received: 3, applied: 3, rejected: 1, cleaned: 3, unsubscribes: 1, spamreports: 1 });
    expect(await statusOf(delivered!.execution_id)).toMatchObject({ status: 'delivered', provider_message_id: 'recipient\uFFFDmessage' });
    const suppressed = await db.sql.query<{ email: string; reason: string }>(`select email, reason from email_suppressions where email = any($1)`, [
      [unsubscribed!.email, complained!.email],
    ]);
    expect(suppressed.map((row) => row.reason).sort()).toEqual(['spamreport', 'unsubscribe']);
    expect(logger.lines).toContainEqual(expect.objectContaining({ message: 'sendgrid events rejected', rejected: 1 }));
    // SendGrid delivering the same batch again changes nothing twice.
    const again = await webhook(signed(JSON.stringify(events)));
    expect(JSON.parse(again.body)).toMatchObject({ applied: 0, rejected: 1 });
  });
});
