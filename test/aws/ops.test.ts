import { DescribeRuleCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ledgerPayments } from '../../src/adapters/local/ledger-payments.js';
import { parseCuratorEvent } from '../../src/events/parse-curator-event.js';
import type { SqlClient } from '../../src/db/sql-client.js';
import { runOps } from '../../src/ops/cli.js';
import { expectedRuns } from '../../src/runner/jobs/health.js';
import { killSwitchPath, killSwitchSlugs, rules, toAwsCron } from '../../src/pipelines/index.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { describeWithMoto, motoClientConfig, motoEndpoint, motoEnvironment } from '../support/moto.js';
import { insertUsers } from '../support/seed.js';

const region = 'ap-northeast-1';
let db: TestDatabase;
let events: EventBridgeClient;
let ssm: SSMClient;
let sqs: SQSClient;
let queueUrl: string;
const payments = ledgerPayments(null);

async function ops(args: string[], env: Record<string, string> = motoEnvironment(region)) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOps([...args, '--env', 'staging', '--region', region], env, {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    sql: db.sql,
    payments,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A run row for every scheduled firing the health job expects by now, as if every rule had fired. */
async function recordExpectedRuns(sql: SqlClient) {
  for (const run of expectedRuns(new Date())) {
    await sql.query(
      `insert into pipeline_runs (job_type, period_key, trigger, status, started_at, completed_at)
       values ($1, $2, 'schedule', 'succeeded', $3, $3) on conflict do nothing`,
      [run.job_type, run.period_key, run.firing.scheduledTime],
    );
  }
}

const overrides = (type: string) =>
  db.sql.query<{ pipeline_type: string; actor: string; reason: string; ticket: string | null }>(
    `select pipeline_type, actor, reason, ticket from human_overrides where override_type = $1 order by occurred_at`,
    [type],
  );

describeWithMoto('the ops commands', () => {
  beforeAll(async () => {
    db = await openTestDatabase();
    events = new EventBridgeClient(motoClientConfig(region));
    ssm = new SSMClient(motoClientConfig(region));
    sqs = new SQSClient(motoClientConfig(region));
    for (const slug of killSwitchSlugs()) {
      await ssm.send(new PutParameterCommand({ Name: killSwitchPath('staging', slug), Value: 'true', Type: 'String', Overwrite: true }));
    }
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'curator-stand-in' }))).QueueUrl!;
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    // The eight rules as the stack makes them; moto delivers to SQS (a Lambda target would fail PutEvents).
    for (const [slug, rule] of Object.entries(rules)) {
      const name = `storytailor-${slug}-staging`;
      if (rule.trigger.kind === 'schedule') {
        await events.send(new PutRuleCommand({ Name: name, ScheduleExpression: toAwsCron(rule.trigger.schedule), State: 'ENABLED' }));
      } else {
        await events.send(new PutRuleCommand({ Name: name, EventPattern: JSON.stringify({ source: rule.trigger.sources }), State: 'ENABLED' }));
        await events.send(new PutTargetsCommand({ Rule: name, Targets: [{ Id: 'curator', Arn: queueArn }] }));
      }
    }
  });
  afterAll(async () => {
    await db?.close();
  });

  it('shows every switch as a table', async () => {
    const { code, out } = await ops(['switches']);
    expect(code).toBe(0);
    expect(out).toMatch(/^switch\s+parameter\s+value\s+state$/m);
    expect(out).toMatch(/^daily-digest\s+\/storytailor-staging\/pipelines\/daily-digest\/enabled\s+true\s+ON$/m);
    expect(out.split('\n').filter((line) => / ON$/.test(line))).toHaveLength(12);
  });

  it('disables and enables a switch, recording who and why', async () => {
    const off = await ops(['disable', 'daily-digest', '--reason', 'unsubscribe spike', '--actor', 'maria', '--ticket', 'OPS-7']);
    expect(off.code).toBe(0);
    const read = async () => (await ssm.send(new GetParameterCommand({ Name: '/storytailor-staging/pipelines/daily-digest/enabled' }))).Parameter?.Value;
    expect(await read()).toBe('false');
    expect((await ops(['switches'])).out).toMatch(/^daily-digest .* false\s+OFF$/m);
    const on = await ops(['enable', 'daily-digest', '--reason', 'fix verified in staging', '--actor', 'maria']);
    expect(on.code).toBe(0);
    expect(await read()).toBe('true');
    expect(await overrides('kill_switch_disable')).toEqual([{ pipeline_type: 'daily_digest', actor: 'maria', reason: 'unsubscribe spike', ticket: 'OPS-7' }]);
    expect(await overrides('kill_switch_enable')).toHaveLength(1);
  });

  it('refuses a bad slug or a missing reason with exit code 2, changing nothing', async () => {
    const bad = await ops(['disable', 'daily_digest', '--reason', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown switch "daily_digest": expected one of daily-digest/);
    const noReason = await ops(['disable', 'daily-digest']);
    expect(noReason.code).toBe(2);
    expect(noReason.err).toMatch(/--reason is required/);
  });

  it('says so with exit code 3 when there are no AWS credentials', async () => {
    const result = await ops(['switches'], {
      AWS_ENDPOINT_URL: motoEndpoint!,
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    expect(result.code).toBe(3);
    expect(result.err).toMatch(/no AWS credentials found/);
  });

  it('says so with exit code 4 when the endpoint cannot be reached', async () => {
    const result = await ops(['switches'], { ...motoEnvironment(region), AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
    expect(result.code).toBe(4);
    expect(result.err).toMatch(/cannot reach the endpoint \(ECONNREFUSED\)/);
  });

  it('publishes a replay event that EventBridge accepts and the curator understands', async () => {
    const result = await ops(['replay', 'daily_digest', '--period', '2026-11-23', '--reason', 'job timed out']);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/replay of daily_digest published: event /);
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    const delivered = (received.Messages ?? []).map((message) => JSON.parse(message.Body!) as Record<string, unknown>);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ source: 'storytailor.manual', 'detail-type': 'retry', detail: { jobType: 'daily_digest', retry: true, periodKey: '2026-11-23' } });
    expect(parseCuratorEvent(delivered[0])).toMatchObject({ ok: true, request: { kind: 'replay', jobType: 'daily_digest', periodKey: '2026-11-23' } });
    expect(await overrides('replay')).toMatchObject([{ pipeline_type: 'daily_digest', reason: 'job timed out' }]);
  });

  it('refuses a replay the curator would refuse, before publishing it', async () => {
    const result = await ops(['replay', 'daily_digest', '--from', 'yesterday']);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/not a valid replay: detail\.from/);
  });

  it('stops all eight rules', async () => {
    const result = await ops(['stop-all', '--reason', 'content error in every template']);
    expect(result.code).toBe(0);
    for (const slug of Object.keys(rules)) {
      const rule = await events.send(new DescribeRuleCommand({ Name: `storytailor-${slug}-staging` }));
      expect(rule.State, slug).toBe('DISABLED');
    }
    expect(await overrides('stop_all')).toMatchObject([{ pipeline_type: 'all' }]);
  });

  it('credits a user once per ticket, however often it is run', async () => {
    const [user] = await insertUsers(db.sql, 1, { prefix: 'ticket' });
    const args = ['credit', user!, '1000', '--ticket', 'SUP-123', '--reason', 'referral reward not issued'];
    expect((await ops(args)).code).toBe(0);
    const again = await ops(args);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/already credited/);
    expect(payments.transactions.filter((transaction) => transaction.description === 'Manual credit SUP-123')).toHaveLength(1);
    const ledger = await db.sql.query(`select amount, source, status, reference_key from reward_ledger where user_id = $1`, [user]);
    expect(ledger).toEqual([{ amount: 1000, source: 'manual', status: 'pending', reference_key: 'SUP-123' }]);
    expect(await overrides('manual_credit')).toHaveLength(1);
    const [other] = await insertUsers(db.sql, 1, { prefix: 'noticket', withStripe: false });
    const refused = await ops(['credit', other!, '500', '--ticket', 'SUP-124', '--reason', 'goodwill']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/no Stripe customer/);
  });

  it('runs the health job and checks SSM: unhealthy while scheduled runs are missing, healthy once they ran', async () => {
    const missing = await ops(['health']);
    expect(missing.out).toMatch(/"database": "ok"/);
    expect(missing.out).toMatch(/"switches": "ok"/);
    expect(missing.out).toMatch(/"missedRuns": \[\s*\{/);
    expect(missing.code).toBe(1);
    await recordExpectedRuns(db.sql);
    const healthy = await ops(['health']);
    expect(healthy.out).toMatch(/"status": "healthy"/);
    expect(healthy.code).toBe(0);
  });
});
