import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand, type Dimension } from '@aws-sdk/client-cloudwatch';
import { generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cloudWatchMetrics } from '../../src/adapters/aws/cloudwatch-metrics.js';
import { manualClock } from '../../src/adapters/clock.js';
import { memoryLogger } from '../../src/adapters/json-logger.js';
import { createSendGridWebhookHandler } from '../../src/handlers/sendgrid-webhook.js';
import type { FunctionUrlEvent } from '../../src/handlers/function-url.js';
import { publicKeyOf } from '../../src/adapters/sendgrid/event-webhook.js';
import { CuratorStore } from '../../src/store/curator-store.js';
import { sqlTransport } from '../../src/store/sql-transport.js';
import { curatorHarness, scheduledEvent, signalEvent } from '../support/curator-harness.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { describeWithMoto, motoClientConfig } from '../support/moto.js';
import { seedDigestPopulation } from '../support/population.js';

const region = 'ap-northeast-2';
const firing = new Date('2026-11-23T20:00:00Z');
const now = new Date('2026-11-23T21:00:00Z');
const startedAt = new Date();
const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

let db: TestDatabase;
let cloudwatch: CloudWatchClient;
let webhook: ReturnType<typeof createSendGridWebhookHandler>;
let digests: Array<{ execution_id: string; email: string }>;
let crisis: { execution_id: string; email: string };
let eventNumber = 0;

function signed(events: unknown[]): FunctionUrlEvent {
  const body = JSON.stringify(events);
  const timestamp = String(Math.floor(now.getTime() / 1_000));
  const signature = sign('sha256', Buffer.from(timestamp + body), privateKey).toString('base64');
  return {
    requestContext: { http: { method: 'POST' } },
    headers: { 'X-Twilio-Email-Event-Webhook-Signature': signature, 'X-Twilio-Email-Event-Webhook-Timestamp': timestamp },
    body,
  };
}

function event(target: { execution_id: string | null; email: string }, kind: string, extra: Record<string, unknown> = {}) {
  eventNumber += 1;
  return {
    email: target.email,
    timestamp: Math.floor(now.getTime() / 1_000) - 1_800 + eventNumber,
    event: kind,
    sg_event_id: `metrics-event-${eventNumber}`,
    ...(target.execution_id === null ? {} : { execution_id: target.execution_id }),
    ...extra,
  };
}

const dims = (pairs: Record<string, string>): Dimension[] => Object.entries(pairs).map(([Name, Value]) => ({ Name, Value }));

async function sum(name: string, dimensions: Dimension[]): Promise<number> {
  const result = await cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: 'Storytailor/Email',
      MetricName: name,
      Dimensions: dimensions,
      StartTime: new Date(startedAt.getTime() - 3_600_000),
      EndTime: new Date(Date.now() + 3_600_000),
      Period: 3600,
      Statistics: ['Sum'],
    }),
  );
  return (result.Datapoints ?? []).reduce((total, point) => total + (point.Sum ?? 0), 0);
}

/**
 * The no-dimension series alone. moto answers a query with every series whose dimensions include the ones asked
 * for, so a query without dimensions sums all of a metric's series; the typed ones, read exactly, are taken out.
 */
async function untypedSum(name: string, types: readonly string[]): Promise<number> {
  let typed = 0;
  for (const type of types) typed += await sum(name, dims({ EmailType: type }));
  return (await sum(name, [])) - typed;
}

describeWithMoto('email health by type in CloudWatch, from signed SendGrid deliveries', () => {
  beforeAll(async () => {
    db = await openTestDatabase();
    await seedDigestPopulation(db.sql, firing, { engaged: 6, idle: 0, lukewarm: 0, optedOut: 0, suppressed: 0 });
    const curator = curatorHarness(db, { start: new Date(firing.getTime() + 1_000) });
    await curator.handler(scheduledEvent('daily_digest', firing));
    const [user] = await db.sql.query<{ id: string }>(`select id from users where email like 'engaged-%' order by id limit 1`);
    await curator.handler(
      signalEvent({ signalId: 'metrics-crisis', jobType: 'crisis_alert', userId: user!.id, confidence: 0.99, signalCount: 1, eventTimestamp: firing.toISOString() }),
    );
    const sent = await db.sql.query<{ execution_id: string; email: string; email_type: string }>(
      `select l.execution_id, u.email, l.email_type from email_delivery_log l join users u on u.id = l.user_id order by l.email_type, l.execution_id`,
    );
    digests = sent.filter((row) => row.email_type === 'daily_digest');
    crisis = sent.find((row) => row.email_type === 'crisis_alert')!;
    expect(digests).toHaveLength(6);
    expect(crisis).toBeDefined();

    cloudwatch = new CloudWatchClient(motoClientConfig(region));
    webhook = createSendGridWebhookHandler(async () => ({
      store: new CuratorStore(sqlTransport(db.sql)),
      metrics: cloudWatchMetrics({ client: cloudwatch, environment: 'production', logger: memoryLogger() }),
      logger: memoryLogger(),
      clock: manualClock(now),
      publicKey: publicKeyOf(publicKey.export({ format: 'der', type: 'spki' }).toString('base64')),
      toleranceSeconds: 300,
    }));

    const [a, b, c, d, e, f] = digests;
    const first = await webhook(
      signed([
        ...digests.map((digest) => event(digest, 'delivered')),
        event(crisis, 'delivered'),
        event(crisis, 'open'),
        event(a!, 'open'),
        event(a!, 'open'), // the same message opened again in the same delivery
        event(b!, 'open'),
        event(b!, 'click'),
        event(c!, 'unsubscribe'),
        event(d!, 'bounce', { type: 'bounce' }),
        event({ execution_id: null, email: 'someone-else@example.com' }, 'unsubscribe'), // another sender's email
      ]),
    );
    expect(first.statusCode).toBe(200);
    // A later delivery: the same messages opened again, one new open, one spam report, one more unsubscribe.
    const second = await webhook(
      signed([event(a!, 'open'), event(b!, 'open'), event(e!, 'open'), event(f!, 'spamreport'), event(c!, 'unsubscribe')]),
    );
    expect(second.statusCode).toBe(200);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('publishes each Storytailor/Email metric by EmailType and without dimensions', async () => {
    const listed = await cloudwatch.send(new ListMetricsCommand({ Namespace: 'Storytailor/Email' }));
    const sets = new Set((listed.Metrics ?? []).map((metric) => `${metric.MetricName}:${(metric.Dimensions ?? []).map((dimension) => dimension.Name).join(',')}`));
    for (const name of ['EmailsDelivered', 'EmailOpens', 'EmailClicks', 'Unsubscribes', 'Bounces', 'SpamReports']) {
      expect(sets, name).toContain(`${name}:EmailType`);
      expect(sets, name).toContain(`${name}:`);
    }
  });

  it('counts deliveries, first opens and first clicks per type: a second open of a message is not counted', async () => {
    expect(await sum('EmailsDelivered', dims({ EmailType: 'daily_digest' }))).toBe(6);
    expect(await sum('EmailsDelivered', dims({ EmailType: 'crisis_alert' }))).toBe(1);
    // a, b and e opened (a three times, b twice): three first opens.
    expect(await sum('EmailOpens', dims({ EmailType: 'daily_digest' }))).toBe(3);
    expect(await sum('EmailOpens', dims({ EmailType: 'crisis_alert' }))).toBe(1);
    expect(await sum('EmailClicks', dims({ EmailType: 'daily_digest' }))).toBe(1);
    expect(await sum('Unsubscribes', dims({ EmailType: 'daily_digest' }))).toBe(1);
    expect(await sum('Bounces', dims({ EmailType: 'daily_digest' }))).toBe(1);
    expect(await sum('SpamReports', dims({ EmailType: 'daily_digest' }))).toBe(1);
    expect(await sum('EmailOpens', dims({ EmailType: 'weekly_insights' }))).toBe(0);
  });

  it("keeps the guide's no-dimension series as every event: both of c's unsubscribes and another sender's", async () => {
    const types = ['daily_digest', 'crisis_alert'];
    expect(await untypedSum('Unsubscribes', types)).toBe(3);
    expect(await untypedSum('Bounces', types)).toBe(1);
    expect(await untypedSum('SpamReports', types)).toBe(1);
    // Deliveries and opens have no other reading: their total is the typed messages.
    expect(await untypedSum('EmailsDelivered', types)).toBe(7);
    expect(await untypedSum('EmailOpens', types)).toBe(4);
  });

  it('keeps when each message was first delivered and opened', async () => {
    const [a] = digests;
    const [row] = await db.sql.query<{ delivered: boolean; opened: boolean; clicked: boolean; status: string }>(
      `select delivered_at is not null as delivered, opened_at is not null as opened, clicked_at is not null as clicked, status
       from email_delivery_log where execution_id = $1`,
      [a!.execution_id],
    );
    expect(row).toEqual({ delivered: true, opened: true, clicked: false, status: 'opened' });
  });
});
