import { DescribeRuleCommand, EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/adapters/clock.js';
import { ledgerPayments } from '../../src/adapters/local/ledger-payments.js';
import { parseCuratorEvent } from '../../src/events/parse-curator-event.js';
import { realtimeEventPattern } from '../../src/requests/request-contract.js';
import type { SqlClient } from '../../src/db/sql-client.js';
import { runOps, type OpsIo } from '../../src/ops/cli.js';
import { expectedRuns } from '../../src/runner/jobs/health.js';
import { killSwitchPath, killSwitchSlugs, rules, toAwsCron } from '../../src/pipelines/index.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { describeWithMoto, motoClientConfig, motoEndpoint, motoEnvironment } from '../support/moto.js';
import { insertUsers } from '../support/seed.js';
import { curatorHarness, type Harness } from '../support/curator-harness.js';
import { seedDigestPopulation } from '../support/population.js';
import { postgrestServer } from '../support/postgrest.js';
import { deployCuratorInMoto } from '../support/lambda-invoke.js';


const region = 'ap-northeast-1';
let db: TestDatabase;
let events: EventBridgeClient;
let ssm: SSMClient;
let sqs: SQSClient;
let queueUrl: string;
const payments = ledgerPayments(null);

async function ops(args: string[], env: Record<string, string> = motoEnvironment(region), io: Partial<OpsIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOps([...args, '--env', 'staging', '--region', region], env, {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    sql: db.sql,
    payments,
    ...io,
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
        await events.send(new PutRuleCommand({ Name: name, EventPattern: JSON.stringify(realtimeEventPattern()), State: 'ENABLED' }));
        await events.send(new PutTargetsCommand({ Rule: name, Targets: [{ Id: 'curator', Arn: queueArn }] }));
      }
    }
  });
  afterAll(async () => {
    await db?.close();
  });

  it('shows every switch with what the curator does when it is off or unreadable, and the rule that fires it', async () => {
    const { code, out } = await ops(['switches']);
    expect(code).toBe(0);
    expect(out).toMatch(/^switch\s+value\s+state\s+when off\s+when unreadable\s+rule$/m);
    const row = (slug: string) => out.split('\n').find((line) => line.startsWith(`${slug} `))!;
    expect(row('daily-digest')).toMatch(/^daily-digest\s+true\s+ON\s+vetoed KILL_SWITCH_ACTIVE, recorded .*\s+vetoed KILL_SWITCH_ACTIVE\s+storytailor-daily-digest-staging: ENABLED$/);
    // A crisis alert proceeds when its switch cannot be read; every other pipeline is vetoed.
    expect(row('crisis-alert')).toMatch(/proceeds: a missed crisis alert is the worse failure\s+storytailor-realtime-signals-staging: ENABLED$/);
    expect(row('all')).toMatch(/except crisis alerts, which proceed/);
    expect(out.split('\n').filter((line) => /^\S+\s+true\s+ON\s/.test(line))).toHaveLength(13);
    const parsed = JSON.parse((await ops(['switches', '--json'])).out) as { switches: Array<{ slug: string; state: string; rule_state: string | null }>; problems: string[] };
    expect(parsed.switches).toHaveLength(13);
    expect(parsed.switches.find((entry) => entry.slug === 'referral-rewards')).toMatchObject({ state: 'ON', rule_state: 'ENABLED' });
    expect(parsed.problems).toEqual([]);
  });

  it('exits 1 when a switch is missing or unreadable, saying what the curator does then', async () => {
    const path = killSwitchPath('staging', 'weekly-insights');
    await ssm.send(new DeleteParameterCommand({ Name: path }));
    try {
      const missing = await ops(['switches']);
      expect(missing.code).toBe(1);
      expect(missing.out).toMatch(/^weekly-insights\s+\(missing\)\s+UNREADABLE\s/m);
      expect(missing.out).toContain(`${path} is missing: vetoed KILL_SWITCH_ACTIVE`);
      await ssm.send(new PutParameterCommand({ Name: path, Value: 'flase', Type: 'String', Overwrite: true }));
      expect((await ops(['switches'])).out).toContain(`${path} is unreadable ("flase"): vetoed KILL_SWITCH_ACTIVE`);
    } finally {
      await ssm.send(new PutParameterCommand({ Name: path, Value: 'true', Type: 'String', Overwrite: true }));
    }
    expect((await ops(['switches'])).code).toBe(0);
  });

  it('disables and enables a switch, recording who and why', async () => {
    const off = await ops(['disable', 'daily-digest', '--reason', 'unsubscribe spike', '--actor', 'maria', '--ticket', 'OPS-7']);
    expect(off.code).toBe(0);
    const read = async () => (await ssm.send(new GetParameterCommand({ Name: '/storytailor-staging/pipelines/daily-digest/enabled' }))).Parameter?.Value;
    expect(await read()).toBe('false');
    expect((await ops(['switches'])).out).toMatch(/^daily-digest\s+false\s+OFF\s/m);
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
    for (const message of received.Messages ?? []) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
    const delivered = (received.Messages ?? []).map((message) => JSON.parse(message.Body!) as Record<string, unknown>);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ source: 'storytailor.manual', 'detail-type': 'retry', detail: { jobType: 'daily_digest', retry: true, periodKey: '2026-11-23' } });
    expect(parseCuratorEvent(delivered[0])).toMatchObject({ ok: true, request: { kind: 'replay', jobType: 'daily_digest', periodKey: '2026-11-23' } });
    expect(await overrides('replay')).toMatchObject([{ pipeline_type: 'daily_digest', reason: 'job timed out' }]);
  });

  describe('refuses a replay the curator would refuse, before publishing or recording anything', () => {
    const at = manualClock(new Date('2026-12-06T21:00:00Z'));
    it.each([
      [['daily_digest', '--from', 'yesterday'], /^not a valid replay \(nothing was published\): --from: expected an ISO-8601 date-time/],
      [['daily_digest', '--period', '2026-12-07'], /--period: 2026-12-07 of daily_digest is not due until its firing at 2026-12-07T20:00:00.000Z/],
      [['daily_digest', '--period', '2026-02-30'], /--period: 2026-02-30 is not a period of daily_digest \(daily\)/],
      [['daily_digest', '--period', '2026-13-01'], /--period: 2026-13-01 is not a period of daily_digest/],
      [['daily_digest', '--period', '2026-W49'], /--period: 2026-W49 is not a period of daily_digest/],
      [['crisis_alert', '--period', '2026-12-01'], /--period: crisis_alert is realtime and has no periods/],
      [['daily_digest', '--veto-reason', 'KILL_SWITCH_ACTIVE', '--from', '2026-12-05T00:00:00Z', '--to', '2026-12-04T00:00:00Z'], /--from: 2026-12-05T00:00:00.000Z must be before --to/],
      [['daily_digest', '--veto-reason', 'KILL_SWITCH_ACTIVE', '--from', '2026-10-01T00:00:00Z', '--to', '2026-12-06T00:00:00Z'], /--from: the range .* is longer than 31 days/],
    ])('replay %j', async (args, message) => {
      const before = (await overrides('replay')).length;
      const result = await ops(['replay', ...args, '--wait'], undefined, { clock: at });
      expect(result.code).toBe(2);
      expect(result.err).toMatch(message);
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      expect(received.Messages ?? []).toHaveLength(0);
      expect(await overrides('replay')).toHaveLength(before);
    });

    it.each([
      [['replay', 'daily_digest', '--period', '2026-11-23', '--timeout', '5m'], '--timeout does nothing without --wait'],
      [['what-if', 'daily-digest', 'min-confidence=0.6,min-confidence=0.7'], 'min-confidence is named twice: give it once'],
      [['tune', 'daily-digest', 'min-confidence=0.6', 'min-confidence=0.7', '--reason', 'x', '--yes'], 'min-confidence is named twice'],
      [['replay', 'daily_digest', '--period', ''], '--period is empty'],
    ])('%j does nothing and says why', async (args, message) => {
      const before = (await overrides('replay')).length;
      const result = await ops(args, undefined, { clock: at });
      expect(result.code).toBe(2);
      expect(result.err).toContain(message);
      expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }))).Messages ?? []).toHaveLength(0);
      expect(await overrides('replay')).toHaveLength(before);
    });

    it('lets a dry run look at a period not yet due', async () => {
      const result = await ops(['replay', 'daily_digest', '--period', '2026-12-07', '--dry-run'], undefined, { clock: at });
      expect(result.code).toBe(0);
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      for (const message of received.Messages ?? []) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
      expect((received.Messages ?? []).map((message) => JSON.parse(message.Body!).detail)).toEqual([{ jobType: 'daily_digest', retry: true, periodKey: '2026-12-07', dryRun: true }]);
    });
  });

  it('delivers through the realtime rule only what each sender may ask: the app\'s ops summary never reaches the curator', async () => {
    const put = (source: string, detailType: string, detail: Record<string, unknown>) =>
      events.send(new PutEventsCommand({ Entries: [{ Source: source, DetailType: detailType, Detail: JSON.stringify(detail), EventBusName: 'default' }] }));
    await put('storytailor.agent', 'Emotional Signal', { jobType: 'ops_summary', scheduledTime: '2026-12-07T09:00:00Z' });
    await put('storytailor.agent', 'Emotional Signal', { jobType: 'what_if', scope: 'all', changes: {}, days: 7 });
    await put('storytailor.agent', 'retry', { jobType: 'daily_digest', retry: true });
    await put('storytailor.manual', 'retry', { jobType: 'ops_summary', retry: true });
    await put('storytailor.health-check', 'health', { jobType: 'ops_summary' });
    await put('storytailor.health-check', 'health', { jobType: 'health' });
    await put('storytailor.agent', 'Emotional Signal', { jobType: 'crisis_alert', signalId: 's-1' });
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const message of received.Messages ?? []) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
    const delivered = (received.Messages ?? []).map((message) => JSON.parse(message.Body!) as { source: string; detail: { jobType: string } });
    expect(delivered.map((event) => `${event.source} ${event.detail.jobType}`).sort()).toEqual(['storytailor.agent crisis_alert', 'storytailor.health-check health']);
  });

  it('stops all eight rules once confirmed, saying what it stops', async () => {
    const result = await ops(['stop-all', '--reason', 'content error in every template', '--yes']);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/crisis alerts included/);
    expect(result.out).toMatch(/storytailor-realtime-signals-staging: The app's emotional signals/);
    for (const slug of Object.keys(rules)) {
      const rule = await events.send(new DescribeRuleCommand({ Name: `storytailor-${slug}-staging` }));
      expect(rule.State, slug).toBe('DISABLED');
    }
    expect(await overrides('stop_all')).toMatchObject([{ pipeline_type: 'all' }]);

    // The switches are on, but nothing fires: ops switches says so, and a replay is refused before it is published.
    const shown = await ops(['switches']);
    expect(shown.code).toBe(1);
    expect(shown.out).toMatch(/^daily-digest\s+true\s+ON\s.*storytailor-daily-digest-staging: DISABLED$/m);
    expect(shown.out).toContain('storytailor-daily-digest-staging is DISABLED while daily-digest is on: nothing fires it (npm run ops -- start-all --reason ...)');
    const replayed = await ops(['replay', 'daily_digest', '--period', '2026-11-23', '--dry-run', '--wait']);
    expect(replayed.code).toBe(2);
    expect(replayed.err).toMatch(/not published: storytailor-realtime-signals-staging, which delivers replays to the curator, is DISABLED; .* npm run ops -- start-all/);
  });

  it('asks before disable all and stop-all; with no terminal and no --yes it exits 2 and changes nothing', async () => {
    const allSwitch = async () => (await ssm.send(new GetParameterCommand({ Name: killSwitchPath('staging', 'all') }))).Parameter?.Value;
    const unattended = await ops(['disable', 'all', '--reason', 'spam complaints']);
    expect(unattended.code).toBe(2);
    expect(unattended.out).toMatch(/turns off every pipeline in staging: .* crisis alerts too/);
    expect(unattended.err).toMatch(/not confirmed: no terminal to ask on; add --yes/);
    expect(await allSwitch()).toBe('true');

    const questions: string[] = [];
    const declined = await ops(['disable', 'all', '--reason', 'spam complaints'], undefined, { confirm: async (question) => (questions.push(question), false) });
    expect(declined.code).toBe(2);
    expect(declined.err).toMatch(/not confirmed: nothing was changed/);
    expect(questions).toEqual(['Go ahead? [y/N] ']);
    expect(await allSwitch()).toBe('true');

    const accepted = await ops(['disable', 'all', '--reason', 'spam complaints'], undefined, { confirm: async () => true });
    expect(accepted.code).toBe(0);
    expect(await allSwitch()).toBe('false');
    expect((await ops(['enable', 'all', '--reason', 'complaints explained'])).code).toBe(0);
    expect(await allSwitch()).toBe('true');

    const before = await db.sql.query(`select count(*)::int as n from human_overrides where override_type = 'stop_all'`);
    const stop = await ops(['stop-all', '--reason', 'again']);
    expect(stop.code).toBe(2);
    expect(stop.out.split('\n').filter((line) => /^  storytailor-.*-staging: /.test(line))).toHaveLength(8);
    expect(await db.sql.query(`select count(*)::int as n from human_overrides where override_type = 'stop_all'`)).toEqual(before);
  });

  it('starts all eight rules again and records it', async () => {
    const result = await ops(['start-all', '--reason', 'templates fixed', '--ticket', 'OPS-9']);
    expect(result.code).toBe(0);
    for (const slug of Object.keys(rules)) {
      const rule = await events.send(new DescribeRuleCommand({ Name: `storytailor-${slug}-staging` }));
      expect(rule.State, slug).toBe('ENABLED');
    }
    expect((await ops(['switches'])).code).toBe(0);
    expect(await overrides('start_all')).toMatchObject([{ pipeline_type: 'all', reason: 'templates fixed', ticket: 'OPS-9' }]);
  });

  it('refuses a replay its switch would veto, naming ops enable, but lets a dry run look', async () => {
    expect((await ops(['disable', 'daily-digest', '--reason', 'bad template'])).code).toBe(0);
    try {
      const before = (await overrides('replay')).length;
      const refused = await ops(['replay', 'daily_digest', '--period', '2026-11-23', '--reason', 'resend']);
      expect(refused.code).toBe(2);
      expect(refused.err).toMatch(/not published: \/storytailor-staging\/pipelines\/daily-digest\/enabled is false, so the curator would veto every decision of the replay KILL_SWITCH_ACTIVE/);
      expect(refused.err).toContain('npm run ops -- enable daily-digest --reason ...');
      expect(await overrides('replay')).toHaveLength(before);
      expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }))).Messages ?? []).toHaveLength(0);
      const dry = await ops(['replay', 'daily_digest', '--period', '2026-11-23', '--dry-run']);
      expect(dry.code).toBe(0);
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      for (const message of received.Messages ?? []) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
      expect(received.Messages ?? []).toHaveLength(1);
    } finally {
      expect((await ops(['enable', 'daily-digest', '--reason', 'template fixed'])).code).toBe(0);
    }
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

  describe('following what the curator did', () => {
    const firing = new Date('2026-11-23T20:00:00Z');
    let curator: Harness;
    let engaged: string;
    const looking = () => ({ clock: curator.clock });
    /** What EventBridge delivered to the stand-in queue, handed to the curator as its work queue would. */
    const drainInto = (requestId: string) => async () => {
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      for (const message of received.Messages ?? []) {
        const answer = await curator.handler({ Records: [{ messageId: message.MessageId!, body: message.Body!, eventSource: 'aws:sqs' }] }, { awsRequestId: requestId });
        expect(answer).toEqual({ batchItemFailures: [] });
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
      }
    };
    const executions = async () => (await db.sql.query<{ n: number }>(`select count(*)::int as n from pipeline_executions`))[0]!.n;

    beforeAll(async () => {
      const population = await seedDigestPopulation(db.sql, firing, { engaged: 6, idle: 2, lukewarm: 2, optedOut: 1, suppressed: 1, inactive: 1 });
      engaged = population.engaged[0]!;
      curator = curatorHarness(db, { start: new Date(firing.getTime() + 60_000) });
    });

    it('replay --wait follows the replay through EventBridge and the curator and prints what it did', async () => {
      const result = await ops(['replay', 'daily_digest', '--period', '2026-11-23', '--reason', 'job timed out', '--wait'], undefined, {
        ...looking(),
        sleep: drainInto('req-replay'),
      });
      expect(result.err).toBe('');
      expect(result.code).toBe(0);
      const eventId = /published: event (\S+)/.exec(result.out)![1]!;
      expect(result.out).toMatch(/^\S+ \S+ {2}replay {2}succeeded {2}\d+ decided, 6 executed, vetoed /m);
      const runId = /^run (\S+): daily_digest 2026-11-23, succeeded, executed 6, /m.exec(result.out)![1]!;
      expect(curator.mailer.sent).toHaveLength(6);

      // One Logs Insights filter on run_id isolates the run; every decision line names its run, period and request.
      const decisions = curator.logger.lines.filter((line) => line.message === 'decision');
      expect(decisions.length).toBeGreaterThan(6);
      expect(decisions.every((line) => line.run_id === runId && line.period_key === '2026-11-23' && line.request_id === 'req-replay')).toBe(true);
      expect(curator.logger.lines.filter((line) => line.message === 'attempt')).toMatchObject([{ run_id: runId, outcome: 'succeeded', executed: 6 }]);

      const later = await ops(['event', eventId], undefined, looking());
      expect(later.code).toBe(0);
      expect(later.out).toContain(`run ${runId}: daily_digest 2026-11-23, succeeded, executed 6`);
    });

    it('replay --dry-run --wait prints the comparison with the last real run, kept for ops run and ops event', async () => {
      const before = await executions();
      const result = await ops(['replay', 'daily_digest', '--period', '2026-11-23', '--dry-run', '--wait'], undefined, {
        ...looking(),
        sleep: drainInto('req-dry'),
      });
      expect(result.code).toBe(0);
      // The period already succeeded: a replay would skip what was sent and leave the vetoes as they are.
      expect(result.out).toMatch(/^dry run \S+ \S+: would decide 14: execute 0, skip 6, veto 0, escalate 0; 8 decided before and left as they are$/m);
      // One table beside the real run of the same period: what the firing did, and the difference.
      expect(result.out).toContain('  compared with the last real run of 2026-11-23 (succeeded)');
      expect(result.out).toMatch(/^ {2}outcome\s+dry run\s+real run\s+difference$/m);
      expect(result.out).toMatch(/^ {2}executed\s+0\s+6\s+-6$/m);
      expect(result.out).toMatch(/^ {2}skipped\s+6\s+0\s+\+6$/m);
      const document = JSON.parse((await ops(['event', /published: event (\S+)/.exec(result.out)![1]!, '--json'], undefined, looking())).out);
      expect(document.comparison).toMatchObject({ real_run: { period_key: '2026-11-23', same_period: true }, rows: expect.arrayContaining([{ outcome: 'executed', dry_run: 0, real_run: 6, difference: -6 }]) });
      expect(await executions()).toBe(before);
      expect(curator.mailer.sent).toHaveLength(6);

      const eventId = /published: event (\S+)/.exec(result.out)![1]!;
      const kept = await ops(['event', eventId, '--json'], undefined, looking());
      expect(JSON.parse(kept.out)).toMatchObject({ done: true, dry_run: { job_type: 'daily_digest', report: { lastRealRun: { period_key: '2026-11-23', executed: 6 } } } });
      const run = await ops(['run', 'daily_digest:2026-11-23'], undefined, looking());
      expect(run.out).toMatch(/dry runs of this job and period\n {2}dry run .*would decide/);
    });

    it('replay --wait gives up with exit 6 when the curator has not finished, and says how to look later', async () => {
      // A dry run of the next period (not due yet, which only a dry run may look at): nothing takes it here.
      const result = await ops(['replay', 'daily_digest', '--period', '2026-11-24', '--dry-run', '--wait', '--timeout', '5s'], undefined, { ...looking(), sleep: async () => undefined });
      expect(result.code).toBe(6);
      expect(result.out).toMatch(/^ {2}waiting for the curator to take it$/m);
      expect(result.err).toMatch(/still not done after 5 s .*See it later: npm run ops -- event \S+ --env staging/);
      const eventId = /npm run ops -- event (\S+)/.exec(result.err)![1]!;
      const untaken = await ops(['event', eventId], undefined, looking());
      expect(untaken.code).toBe(1);
      expect(untaken.err).toContain(`nothing carries event ${eventId}: the curator has not taken it yet`);
      // For scripts, one JSON document: the event id to follow.
      const scripted = await ops(['replay', 'daily_digest', '--period', '2026-11-24', '--dry-run', '--json'], undefined, looking());
      expect(scripted.code).toBe(0);
      expect(JSON.parse(scripted.out)).toEqual({ event_id: expect.any(String), recorded: true });
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      for (const message of received.Messages ?? []) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
      expect(received.Messages).toHaveLength(2);
    });

    it('runs lists the recent runs; run shows one in full, by id or by job and period', async () => {
      const list = await ops(['runs', '--since', '24h'], undefined, looking());
      expect(list.code).toBe(0);
      expect(list.out).toMatch(/^started \(UTC\)\s+job\s+period\s+status\s+decided\s+executed\s+vetoed\s+failed\s+took\s+continued\s+replayed\s+error$/m);
      expect(list.out).toMatch(/^\S+ \S+\s+daily_digest\s+2026-11-23\s+succeeded\s+\d+\s+6\s+\d+\s+0\s/m);
      const json = JSON.parse((await ops(['runs', '--job', 'daily_digest', '--since', '2d', '--json'], undefined, looking())).out) as Array<{ id: string; job_type: string; period_key: string }>;
      expect(json.map((run) => `${run.job_type} ${run.period_key}`)).toContain('daily_digest 2026-11-23');
      expect(new Set(json.map((run) => run.job_type))).toEqual(new Set(['daily_digest']));

      const runId = json.find((run) => run.period_key === '2026-11-23')!.id;
      const byId = await ops(['run', runId], undefined, looking());
      expect(byId.code).toBe(0);
      expect(byId.out).toMatch(new RegExp(`^run ${runId}: daily_digest 2026-11-23, succeeded`, 'm'));
      expect(byId.out).toMatch(/^timeline\n {2}started \(UTC\)\s+attempt\s+event \/ request\s+outcome/m);
      expect(byId.out).toMatch(/^ {2}\S+ \S+\s+replay\s+\S+ \/ req-replay\s+succeeded\s+\d+ decided, 6 executed/m);
      expect(byId.out).toMatch(/^ {2}succeeded\s+6$/m);
      expect(byId.out).toContain('still pending: 0');
      expect((await ops(['run', 'daily_digest:2026-11-23'], undefined, looking())).out).toBe(byId.out);

      const unknown = await ops(['run', 'daily_digest:2020-01-01'], undefined, looking());
      expect(unknown.code).toBe(1);
      expect(unknown.err).toMatch(/no run daily_digest:2020-01-01/);
      expect((await ops(['run', 'yesterday'])).code).toBe(2);
      // A period that cannot exist is a typo, said as the request contract says it.
      expect(await ops(['run', 'daily_digest:2026-02-30'])).toMatchObject({ code: 2, err: expect.stringContaining('2026-02-30 is not a period of daily_digest (daily)') });
      expect((await ops(['runs', '--job', 'digest'])).err).toMatch(/unknown jobType "digest"/);
      expect((await ops(['runs', '--since', 'soon'])).code).toBe(2);
    });

    it("family shows one family's decisions, emails and caps, never its address in full", async () => {
      const [{ email }] = (await db.sql.query<{ email: string }>(`select email from users where id = $1`, [engaged])) as [{ email: string }];
      const result = await ops(['family', engaged], undefined, looking());
      expect(result.code).toBe(0);
      expect(result.out).not.toContain(email);
      expect(result.out).toContain(`family ${engaged}: e***@families.test, Parent, active, has a Stripe customer`);
      expect(result.out).toMatch(/^decisions \(newest first\)\n.*\n {2}\S+ \S+\s+daily_digest\s+2026-11-23\s+succeeded\s+\s+\d\.\d\d\s+\d+/m);
      expect(result.out).toMatch(/^emails\n.*\n {2}\S+ \S+\s+daily_digest\s+(queued|sent)/m);
      expect(result.out).toMatch(/^ {2}all non-critical email, 2 per 24 h\s+1 of 2\s+open$/m);
      expect(result.out).toMatch(/^ {2}all non-critical email, 10 per 168 h\s+1 of 10\s+open$/m);
      expect(result.out).toMatch(/^ {2}early_intervention, 1 per 72 h\s+0 of 1\s+open$/m);

      const json = await ops(['family', engaged, '--json'], undefined, looking());
      expect(json.out).not.toContain(email);
      expect(JSON.parse(json.out)).toMatchObject({ user: { id: engaged, email: 'e***@families.test' }, decisions: [{ pipeline_type: 'daily_digest' }] });

      const nobody = await ops(['family', '00000000-0000-4000-8000-000000000000'], undefined, looking());
      expect(nobody.code).toBe(1);
      expect(nobody.err).toMatch(/no family with user id 00000000-0000-4000-8000-000000000000/);
      expect((await ops(['family', 'maria'])).code).toBe(2);
    });

    it('reaches the database as the deployed curator does, so AWS credentials are all on-call needs', async () => {
      const postgrest = await postgrestServer(db.sql);
      const onCall = (args: string[]) => ops(args, motoEnvironment(region), { ...looking(), sql: undefined });
      try {
        const notDeployed = await onCall(['family', engaged]);
        expect(notDeployed.code).toBe(2);
        expect(notDeployed.err).toMatch(/no database: storytailor-intelligence-curator-staging is not deployed in this account and region/);

        const key = 'service-role-key-from-secrets-manager-0123456789';
        await deployCuratorInMoto(region, { supabaseUrl: postgrest.url, serviceKey: key, name: 'curator-ops-test' });

        const result = await onCall(['family', engaged]);
        expect(result.err).toBe('');
        expect(result.code).toBe(0);
        expect(result.out).toContain(`family ${engaged}: e***@families.test`);
        expect(postgrest.requests.map((request) => request.path)).toEqual(['/rest/v1/rpc/curator_family']);
        expect(postgrest.requests.every((request) => request.apikey === key && request.authorization === `Bearer ${key}`)).toBe(true);
        expect(result.out).not.toContain(key);
      } finally {
        await postgrest.close();
      }
    });
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
