import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { beforeAll, expect, it } from 'vitest';
import { pageTestAlarmName, severities } from '../../src/metrics/alarms.js';
import { runOps } from '../../src/ops/cli.js';
import { describeWithMoto, motoClientConfig, motoEnvironment } from '../support/moto.js';

const region = 'sa-east-1';
const topicArn = (role: string) => `arn:aws:sns:${region}:123456789012:storytailor-${role}-alerts-staging`;
let cloudwatch: CloudWatchClient;
/** Every state the command set, in order, as moto received it. */
const sent: Array<{ alarm: string; state: string; reason: string }> = [];

async function ops(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOps([...args, '--env', 'staging', '--region', region, '--actor', 'maria'], motoEnvironment(region), {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    cloudwatch,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describeWithMoto('ops page-test: a real alarm down each severity\'s path', () => {
  beforeAll(async () => {
    cloudwatch = new CloudWatchClient(motoClientConfig(region));
    cloudwatch.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'SetAlarmStateCommand') {
          const input = args.input as { AlarmName: string; StateValue: string; StateReason: string };
          sent.push({ alarm: input.AlarmName, state: input.StateValue, reason: input.StateReason });
        }
        return next(args);
      },
      { step: 'initialize', name: 'recordSetAlarmState' },
    );
    // The page-test alarms as the stack makes them in staging, each notifying its severity's topic.
    const role = { P1: 'critical', P2: 'business-hours', P3: 'warning' } as const;
    for (const severity of severities) {
      await cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: `${pageTestAlarmName(severity)}-staging`,
          Namespace: 'Storytailor/Pipelines',
          MetricName: 'PageTest',
          Dimensions: [{ Name: 'Severity', Value: severity }],
          Statistic: 'Maximum',
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
          AlarmActions: [topicArn(role[severity])],
          OKActions: [topicArn(role[severity])],
        }),
      );
    }
  });

  it('sets the P3 test alarm to ALARM and back to OK, and names the topic and the Slack route', async () => {
    const result = await ops(['page-test', '--severity', 'p3']);
    expect(result.code).toBe(0);
    expect(sent.map(({ alarm, state }) => `${alarm} ${state}`)).toEqual(['storytailor-page-test-p3-staging ALARM', 'storytailor-page-test-p3-staging OK']);
    expect(sent[0]!.reason).toBe('ops page-test by maria: a test of the P3 route, not an incident');
    expect(result.out).toContain(`topic: ${topicArn('warning')}`);
    expect(result.out).toMatch(/route: Slack channel C07CURSTAGE of workspace T07STRYTLR, through Chatbot/);
    const [alarm] = (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['storytailor-page-test-p3-staging'] }))).MetricAlarms ?? [];
    expect(alarm).toMatchObject({ StateValue: 'OK', StateReason: expect.stringContaining('resolved') });
  });

  it('exits 1 for a severity staging routes nowhere, after still exercising the topic, and says which setting is missing', async () => {
    sent.length = 0;
    const result = await ops(['page-test', '--severity', 'P1', '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.out)).toMatchObject({ alarm: 'storytailor-page-test-p1-staging', topicArns: [topicArn('critical')], route: 'NO ROUTE (alertRoutes.pagerDutyUrgentSecret)' });
    expect(sent.map(({ state }) => state)).toEqual(['ALARM', 'OK']);
  });

  it('refuses a severity that is not one, before any call', async () => {
    sent.length = 0;
    expect(await ops(['page-test', '--severity', 'P4'])).toMatchObject({ code: 2, err: '--severity must be one of P1, P2, P3, got "P4"' });
    expect(sent).toEqual([]);
  });
});
