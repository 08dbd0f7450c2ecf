import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cloudWatchMetrics } from '../../src/adapters/aws/cloudwatch-metrics.js';
import { alarms } from '../../src/metrics/alarms.js';
import { ssmSwitchWriter } from '../../src/adapters/aws/ssm-switch-writer.js';
import { ssmSwitches } from '../../src/adapters/aws/ssm-switches.js';
import { memoryLogger } from '../../src/adapters/json-logger.js';
import { ledgerPayments } from '../../src/adapters/local/ledger-payments.js';
import { createSendGridWebhookHandler } from '../../src/handlers/sendgrid-webhook.js';
import type { FunctionUrlEvent } from '../../src/handlers/function-url.js';
import { publicKeyOf } from '../../src/adapters/sendgrid/event-webhook.js';
import { runOps } from '../../src/ops/cli.js';
import { killSwitchPath, killSwitchSlugs, type JobType } from '../../src/pipelines/index.js';
import { CuratorStore } from '../../src/store/curator-store.js';
import { sqlTransport } from '../../src/store/sql-transport.js';
import { curatorHarness, scheduledEvent, tallyOf } from '../support/curator-harness.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { describeWithMoto, motoClientConfig, motoEnvironment } from '../support/moto.js';
import { seedDigestPopulation } from '../support/population.js';

const region = 'eu-west-3';
const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const startedAt = new Date();

let db: TestDatabase;
let ssm: SSMClient;
let cloudwatch: CloudWatchClient;
let webhook: ReturnType<typeof createSendGridWebhookHandler>;
let eventNumber = 0;
const logger = memoryLogger();

type Delivered = { execution_id: string; email: string };
const delivered: Partial<Record<JobType, Delivered[]>> = {};

/** `count` emails of a type delivered an hour ago, each with its own execution and address. */
async function deliver(jobType: JobType, count: number): Promise<Delivered[]> {
  const at = new Date(Date.now() - 3_600_000);
  return db.sql.query<Delivered>(
    `with e as (
       insert into pipeline_executions (pipeline_type, pipeline_name, subject_key, period_key, user_id, status, completed_at, created_at)
       select $1, $1, 'family-' || g, 'breaker-test', gen_random_uuid(), 'succeeded', $3, $3 from generate_series(1, $2) g
       returning id, user_id, subject_key)
     , l as (
       insert into email_delivery_log (execution_id, user_id, email_type, status, queued_at, sent_at, delivered_at)
       select id, user_id, $1, 'delivered', $3, $3, $3 from e returning execution_id)
     select e.id as execution_id, $1 || '-' || e.subject_key || '@families.example' as email from e join l on l.execution_id = e.id
     order by e.subject_key`,
    [jobType, count, at],
  );
}

function signed(events: unknown[]): FunctionUrlEvent {
  const body = JSON.stringify(events);
  const timestamp = String(Math.floor(Date.now() / 1_000));
  const signature = sign('sha256', Buffer.from(timestamp + body), privateKey).toString('base64');
  return {
    requestContext: { http: { method: 'POST' } },
    headers: { 'X-Twilio-Email-Event-Webhook-Signature': signature, 'X-Twilio-Email-Event-Webhook-Timestamp': timestamp },
    body,
  };
}

/** Signed unsubscribes and spam reports (alternately) for these messages, posted as one delivery. */
async function complain(targets: readonly Delivered[]) {
  const events = targets.map((target, index) => {
    eventNumber += 1;
    return {
      email: target.email,
      timestamp: Math.floor(Date.now() / 1_000) - 60,
      event: index % 2 === 0 ? 'unsubscribe' : 'spamreport',
      sg_event_id: `breaker-event-${eventNumber}`,
      execution_id: target.execution_id,
    };
  });
  const answer = await webhook(signed(events));
  expect(answer.statusCode).toBe(200);
  return JSON.parse(answer.body) as { breaker_trips: string[] };
}

const switchOf = async (slug: string) => (await ssm.send(new GetParameterCommand({ Name: killSwitchPath('staging', slug) }))).Parameter?.Value;
const trips = (pipelineType: string) =>
  db.sql.query<{ actor: string; reason: string; details: Record<string, unknown> }>(
    `select actor, reason, details from human_overrides where override_type = 'breaker_disable' and pipeline_type = $1 order by occurred_at`,
    [pipelineType],
  );

async function breakerTripsMetric(pipelineType: string): Promise<number> {
  const result = await cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: 'Storytailor/Email',
      MetricName: 'BreakerTrips',
      Dimensions: [{ Name: 'PipelineType', Value: pipelineType }],
      StartTime: new Date(startedAt.getTime() - 3_600_000),
      EndTime: new Date(Date.now() + 3_600_000),
      Period: 3600,
      Statistics: ['Sum'],
    }),
  );
  return (result.Datapoints ?? []).reduce((total, point) => total + (point.Sum ?? 0), 0);
}

describeWithMoto('the complaint breaker, from signed SendGrid deliveries to the kill switch', () => {
  beforeAll(async () => {
    db = await openTestDatabase();
    ssm = new SSMClient(motoClientConfig(region));
    cloudwatch = new CloudWatchClient(motoClientConfig(region));
    for (const slug of killSwitchSlugs()) {
      await ssm.send(new PutParameterCommand({ Name: killSwitchPath('staging', slug), Value: 'true', Type: 'String', Overwrite: true }));
    }

    delivered.daily_digest = await deliver('daily_digest', 2_000);
    delivered.weekly_insights = await deliver('weekly_insights', 5_000);
    delivered.story_failure = await deliver('story_failure', 100);
    delivered.crisis_alert = await deliver('crisis_alert', 20);

    const metrics = cloudWatchMetrics({ client: cloudwatch, environment: 'staging', logger });
    webhook = createSendGridWebhookHandler(async () => ({
      store: new CuratorStore(sqlTransport(db.sql)),
      metrics,
      logger,
      publicKey: publicKeyOf(publicKey.export({ format: 'der', type: 'spki' }).toString('base64')),
      toleranceSeconds: 300,
      breaker: {
        environment: 'staging',
        switches: ssmSwitches({ client: ssm, environment: 'staging', ttlSeconds: 0, logger, metrics }),
        switchWriter: ssmSwitchWriter(ssm, 'staging'),
      },
    }));
  });
  afterAll(async () => {
    await db?.close();
  });

  it('trips daily_digest at 0.6 %: the switch is false, the override row is written, and BreakerTrips counts once for the P1 alarm to page', async () => {
    // 12 complaints over 2,000 deliveries is 0.6 %: above 0.5 % and at least 10.
    const first = await complain(delivered.daily_digest!.slice(0, 12));
    expect(first.breaker_trips).toEqual(['daily_digest']);
    expect(await switchOf('daily-digest')).toBe('false');
    const [trip] = await trips('daily_digest');
    expect(trip).toMatchObject({ actor: 'curator', details: { complaints: 12, deliveries: 2_000, slug: 'daily-digest' } });
    expect(trip!.reason).toMatch(/12 unsubscribes and spam reports .* over 2000 deliveries in 24 h = 0\.60 %, above 0\.5 %/);
    expect(await breakerTripsMetric('daily_digest')).toBe(1);
    // The page is the alarm on that metric (PagerDuty and Slack read alarms, not text on a topic).
    expect(alarms.find((alarm) => alarm.name === 'storytailor-complaint-breaker')).toMatchObject({ severity: 'P1', metric: { name: 'BreakerTrips', dimensions: {} }, threshold: 0 });
    // The log line says what happened and what to do next, never an address.
    const line = logger.lines.find((entry) => entry.message === 'complaint breaker tripped')!;
    expect(line).toMatchObject({ level: 'ERROR', switched_off: true, next: expect.stringContaining('npm run ops -- enable daily-digest') });
    expect(JSON.stringify(logger.lines)).not.toContain('@families.example');
  });

  it('the next digest decision vetoes KILL_SWITCH_ACTIVE', async () => {
    const firing = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 + 20 * 3_600_000 - 86_400_000);
    await seedDigestPopulation(db.sql, firing, { engaged: 3, idle: 0, lukewarm: 0, optedOut: 0, suppressed: 0, inactive: 0 });
    const curator = curatorHarness(db, {
      start: new Date(firing.getTime() + 1_000),
      switchSource: ssmSwitches({ client: ssm, environment: 'staging', ttlSeconds: 0, logger, metrics: { record: () => {}, flush: async () => {} } }),
    });
    const tally = tallyOf(await curator.handler(scheduledEvent('daily_digest', firing)));
    expect(tally).toMatchObject({ candidates: 3, executed: 0, vetoed: { KILL_SWITCH_ACTIVE: 3 } });
    expect(curator.mailer.sent).toHaveLength(0);
  });

  it('a second spike while the switch is off counts no trip (so pages nothing) and writes nothing', async () => {
    const again = await complain(delivered.daily_digest!.slice(12, 40));
    expect(again.breaker_trips).toEqual([]);
    expect(await trips('daily_digest')).toHaveLength(1);
    expect(await breakerTripsMetric('daily_digest')).toBe(1);
  });

  it('does not trip below the minimum count, at 0.4 %, or ever for crisis_alert', async () => {
    // weekly_insights: 20 over 5,000 is 0.4 %; story_failure: 9 over 100 is 9 % but fewer than 10; crisis: 50 %.
    const answers = [
      await complain(delivered.weekly_insights!.slice(0, 20)),
      await complain(delivered.story_failure!.slice(0, 9)),
      await complain(delivered.crisis_alert!.slice(0, 10)),
    ];
    expect(answers.map((answer) => answer.breaker_trips)).toEqual([[], [], []]);
    for (const slug of ['weekly-insights', 'story-failure', 'crisis-alert']) expect(await switchOf(slug)).toBe('true');
    expect(await db.sql.query(`select pipeline_type from human_overrides where override_type = 'breaker_disable' and pipeline_type <> 'daily_digest'`)).toEqual([]);
    for (const pipelineType of ['weekly_insights', 'story_failure', 'crisis_alert']) expect(await breakerTripsMetric(pipelineType)).toBe(0);
  });

  it('after ops enable only complaints received later count, and `breaker-enabled=false` turns it off per pipeline', async () => {
    const enabled = await runOps(['enable', 'daily-digest', '--reason', 'template fixed', '--actor', 'ops-oncall', '--env', 'staging', '--region', region], motoEnvironment(region), {
      out: () => {},
      err: () => {},
      sql: db.sql,
      payments: ledgerPayments(null),
    });
    expect(enabled).toBe(0);
    expect(await switchOf('daily-digest')).toBe('true');
    // 40 complaints of the last hour are on record for the digest, all from before the enable: one more does not trip.
    expect((await complain(delivered.daily_digest!.slice(40, 41))).breaker_trips).toEqual([]);
    expect(await switchOf('daily-digest')).toBe('true');

    await ssm.send(new PutParameterCommand({ Name: `/storytailor-staging/pipelines/daily-digest/breaker-enabled`, Value: 'false', Type: 'String', Overwrite: true }));
    expect((await complain(delivered.daily_digest!.slice(41, 60))).breaker_trips).toEqual([]);
    expect(await switchOf('daily-digest')).toBe('true');

    // With the breaker on again, the 21 complaints received since the enable (1.05 %) trip it, and it pages again.
    await ssm.send(new PutParameterCommand({ Name: `/storytailor-staging/pipelines/daily-digest/breaker-enabled`, Value: 'true', Type: 'String', Overwrite: true }));
    expect((await complain(delivered.daily_digest!.slice(60, 61))).breaker_trips).toEqual(['daily_digest']);
    expect(await switchOf('daily-digest')).toBe('false');
    expect(await trips('daily_digest')).toHaveLength(2);
    expect(await breakerTripsMetric('daily_digest')).toBe(2);
  });
});
