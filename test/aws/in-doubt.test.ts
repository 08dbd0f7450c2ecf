import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/adapters/clock.js';
import { realtimeEventPattern } from '../../src/requests/request-contract.js';
import { runOps, type OpsIo } from '../../src/ops/cli.js';
import { curatorHarness, runLosingFirstRequest, tallyOf, type Harness } from '../support/curator-harness.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { describeWithMoto, motoClientConfig, motoEnvironment } from '../support/moto.js';
import { seedDigestPopulation } from '../support/population.js';

const region = 'eu-west-3';
const firing = new Date('2026-11-23T20:00:00Z');
const minutes = (n: number) => new Date(firing.getTime() + n * 60_000);
let db: TestDatabase;
let curator: Harness;
let sqs: SQSClient;
let queueUrl: string;

async function ops(args: string[], at: Date, io: Partial<OpsIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOps([...args, '--env', 'staging', '--region', region], motoEnvironment(region), {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    sql: db.sql,
    clock: manualClock(at),
    ...io,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The replays EventBridge delivered to the stand-in of the curator's target. */
async function published(): Promise<Array<Record<string, unknown>>> {
  const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  for (const message of received.Messages ?? []) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
  return (received.Messages ?? []).map((message) => JSON.parse(message.Body!) as Record<string, unknown>);
}

/** A digest run whose first page's request never reached SendGrid: four emails left unknown, in one batch. */
const lostBatch = () => runLosingFirstRequest(curator, firing);

const statuses = (batch: string) =>
  db.sql.query<{ execution: string; email: string; n: number }>(
    `select e.status as execution, l.status as email, count(*)::int as n from pipeline_executions e
     join email_delivery_log l on l.execution_id = e.id where e.request_batch = $1 group by 1, 2`,
    [batch],
  );

describeWithMoto('ops in-doubt and ops settle', () => {
  beforeAll(async () => {
    sqs = new SQSClient(motoClientConfig(region));
    const events = new EventBridgeClient(motoClientConfig(region));
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'curator-in-doubt' }))).QueueUrl!;
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    await events.send(new PutRuleCommand({ Name: 'storytailor-realtime-staging', EventPattern: JSON.stringify(realtimeEventPattern()), State: 'ENABLED' }));
    await events.send(new PutTargetsCommand({ Rule: 'storytailor-realtime-staging', Targets: [{ Id: 'curator', Arn: queueArn }] }));
  });
  beforeEach(async () => {
    db = await openTestDatabase();
    await seedDigestPopulation(db.sql, firing, { engaged: 8, idle: 0, lukewarm: 0, optedOut: 0, suppressed: 0 });
    curator = curatorHarness(db, { start: new Date(firing.getTime() + 1_000), pageSize: 4 });
    await published();
  });
  afterEach(async () => {
    await db?.close();
  });

  it('lists the unknown emails by batch and age, saying why each is not settled', async () => {
    expect((await ops(['in-doubt'], minutes(5))).out).toBe('no email of unknown outcome: every request the curator recorded has been settled');
    const batch = await lostBatch();
    const early = await ops(['in-doubt'], minutes(10));
    expect(early.code).toBe(0);
    expect(early.out).toMatch(/^4 emails of unknown outcome in 1 request batch \(grace 30 minutes\)$/m);
    expect(early.out).toMatch(/^BATCH\s+PIPELINE\s+EMAILS\s+RECORDED\s+AGE\s+EVIDENCE\s+LATER PROCESSED\s+WEBHOOK\s+STATE$/m);
    expect(early.out).toContain(`${batch}  daily_digest  4`);
    expect(early.out).toMatch(/none\s+no\s+clean\s+awaiting SendGrid's events \(grace ends 20:30 UTC\)/);
    const late = await ops(['in-doubt', '--json'], minutes(45));
    expect(JSON.parse(late.out)).toMatchObject({
      grace_minutes: 30,
      batches: [{ batch, pipeline_type: 'daily_digest', emails: 4, past_grace: true, later_processed: false, webhook_clean: true, age_seconds: 2699, state: expect.stringMatching(/^in doubt: no Processed events/) }],
    });
  });

  it('settles a batch sent by hand, recorded, with nothing resent', async () => {
    const batch = await lostBatch();
    const settled = await ops(['settle', batch, '--sent', '--reason', 'SendGrid activity feed shows all four processed', '--actor', 'maria', '--ticket', 'OPS-31'], minutes(60));
    expect(settled.code).toBe(0);
    expect(settled.out).toMatch(new RegExp(`^4 daily_digest emails of batch ${batch} settled sent; override [0-9a-f-]{36}$`));
    expect(await statuses(batch)).toEqual([{ execution: 'succeeded', email: 'sent', n: 4 }]);
    const [override] = await db.sql.query(`select pipeline_type, actor, reason, ticket, details from human_overrides where override_type = 'settle_emails'`);
    expect(override).toEqual({ pipeline_type: 'daily_digest', actor: 'maria', reason: 'SendGrid activity feed shows all four processed', ticket: 'OPS-31', details: { batch, outcome: 'sent', emails: 4, superseded: false } });
    expect(await published()).toEqual([]);
    // Settled once: a second settle finds nothing unknown and writes nothing.
    const again = await ops(['settle', batch, '--failed', '--reason', 'x'], minutes(61));
    expect(again).toMatchObject({ code: 1, err: expect.stringMatching(/has no email of unknown outcome left/) });
    expect(await db.sql.query(`select 1 from human_overrides where override_type = 'settle_emails'`)).toHaveLength(1);
  });

  it('settles a batch failed by hand and publishes the replay that resends it once', async () => {
    const batch = await lostBatch();
    const settled = await ops(['settle', batch, '--failed', '--reason', 'not in the activity feed'], minutes(60));
    expect(settled.code).toBe(0);
    expect(settled.out).toMatch(/settled failed; override /);
    expect(settled.out).toMatch(/replay of daily_digest published: event /);
    expect(await statuses(batch)).toEqual([{ execution: 'failed', email: 'failed', n: 4 }]);
    const [replay] = await published();
    expect(replay).toMatchObject({ source: 'storytailor.manual', detail: { jobType: 'daily_digest', retry: true } });
    curator.clock.set(minutes(61));
    expect(tallyOf(await curator.handler(replay!))).toMatchObject({ executed: 4 });
    const families = curator.mailer.sent.map((email) => email.userId);
    expect(families).toHaveLength(8);
    expect(new Set(families).size).toBe(8);
  });

  it('records a batch the next firing superseded, publishing nothing', async () => {
    const batch = await lostBatch();
    const settled = await ops(['settle', batch, '--failed', '--reason', 'found a day late'], minutes(24 * 60 + 30));
    expect(settled.out).toMatch(/settled failed, superseded by the next daily digest \(not sent late\)/);
    expect(await statuses(batch)).toEqual([{ execution: 'skipped', email: 'failed', n: 4 }]);
    expect(await published()).toEqual([]);
  });

  describe('refuses, writing nothing', () => {
    it.each([
      [['settle', 'not-a-batch', '--sent', '--reason', 'x'], 2, /the batch must be a request batch id \(a uuid/],
      [['settle', '5f0c2f44-1a7e-4c53-9b7a-3a1f4c1e2d10', '--reason', 'x'], 2, /exactly one of --sent .* or --failed/],
      [['settle', '5f0c2f44-1a7e-4c53-9b7a-3a1f4c1e2d10', '--sent', '--failed', '--reason', 'x'], 2, /exactly one of --sent/],
      [['settle', '5f0c2f44-1a7e-4c53-9b7a-3a1f4c1e2d10', '--sent'], 2, /--reason is required/],
      [['settle', '5f0c2f44-1a7e-4c53-9b7a-3a1f4c1e2d10', '--sent', '--reason', 'x'], 1, /no request batch; `npm run ops -- in-doubt` lists/],
    ])('%j', async (args, code, message) => {
      const result = await ops(args, minutes(60));
      expect(result.code).toBe(code);
      expect(result.err).toMatch(message);
      expect(await db.sql.query(`select 1 from human_overrides`)).toEqual([]);
    });
  });
});
