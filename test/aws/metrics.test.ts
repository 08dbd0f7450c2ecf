import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand, type Dimension } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cloudWatchMetrics, type CloudWatchMetrics } from '../../src/adapters/aws/cloudwatch-metrics.js';
import { memoryLogger } from '../../src/adapters/json-logger.js';
import { curatorHarness, scheduledEvent, signalEvent } from '../support/curator-harness.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { describeWithMoto, motoClientConfig } from '../support/moto.js';
import { seedDigestPopulation } from '../support/population.js';

const region = 'eu-west-1';
const firing = new Date('2026-11-23T20:00:00Z');
let db: TestDatabase;
let cloudwatch: CloudWatchClient;
let metrics: CloudWatchMetrics;
const startedAt = new Date();

async function sum(namespace: string, name: string, dimensions: Dimension[]): Promise<number | undefined> {
  const result = await cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: namespace,
      MetricName: name,
      Dimensions: dimensions,
      StartTime: new Date(startedAt.getTime() - 3_600_000),
      EndTime: new Date(Date.now() + 3_600_000),
      Period: 3600,
      Statistics: ['Sum', 'SampleCount', 'Average'],
    }),
  );
  return result.Datapoints?.reduce((total, point) => total + (point.Sum ?? 0), 0);
}

const dims = (pairs: Record<string, string>): Dimension[] => Object.entries(pairs).map(([Name, Value]) => ({ Name, Value }));

describeWithMoto('metrics in CloudWatch', () => {
  beforeAll(async () => {
    db = await openTestDatabase();
    await seedDigestPopulation(db.sql, firing, { engaged: 8, idle: 3, lukewarm: 2, optedOut: 2, suppressed: 1 });
    cloudwatch = new CloudWatchClient(motoClientConfig(region));
    metrics = cloudWatchMetrics({ client: cloudwatch, environment: 'production', logger: memoryLogger() });
    const curator = curatorHarness(db, { start: new Date(firing.getTime() + 1_000), pageSize: 4, metricsSink: metrics });
    await curator.handler(scheduledEvent('daily_digest', firing));
    const [user] = await db.sql.query<{ id: string }>(`select id from users where is_active and email like 'engaged-%' limit 1`);
    await curator.handler(
      signalEvent({ signalId: 'late-1', jobType: 'crisis_alert', userId: user!.id, confidence: 0.99, signalCount: 1, eventTimestamp: new Date(firing.getTime() - 10 * 60_000).toISOString() }),
    );
  });
  afterAll(async () => {
    await db?.close();
  });

  it('publishes every dimension set of DESIGN.md section 5, so the guide alarms match', async () => {
    const listed = await cloudwatch.send(new ListMetricsCommand({ Namespace: 'Storytailor/Pipelines' }));
    const sets = new Set(
      (listed.Metrics ?? []).map((metric) => `${metric.MetricName}:${(metric.Dimensions ?? []).map((d) => d.Name).sort().join(',')}`),
    );
    for (const expected of [
      'PipelineExecutions:Environment,PipelineType',
      'PipelineExecutions:PipelineType',
      'PipelineVetoes:PipelineType,VetoReason',
      'PipelineVetoes:PipelineType',
      'PipelineVetoes:VetoReason',
      'SLAViolations:PipelineType',
      'SLAViolations:',
      'EmailsSent:EmailType',
      'VetoRate:',
      'VetoRate:PipelineType',
      'EmailsSent:',
      'CrisisEscalations:',
      'JobDuration:',
    ]) {
      expect(sets, expected).toContain(expected);
    }
  });

  // moto answers a query with every series whose dimensions include the ones asked for (CloudWatch asks for the
  // exact set), so sums are read on the most specific sets, where the two agree; the first test shows that each
  // less specific set exists as its own series.
  it('sums what the run decided, per dimension set', async () => {
    const ns = 'Storytailor/Pipelines';
    expect(await sum(ns, 'PipelineExecutions', dims({ PipelineType: 'daily_digest', Environment: 'production' }))).toBe(16);
    expect(await sum(ns, 'PipelineVetoes', dims({ PipelineType: 'daily_digest', VetoReason: 'USER_OPTED_OUT' }))).toBe(3);
    expect(await sum(ns, 'PipelineVetoes', dims({ PipelineType: 'daily_digest', VetoReason: 'INSUFFICIENT_SIGNAL' }))).toBe(3);
    expect(await sum(ns, 'EmailsSent', dims({ PipelineType: 'daily_digest' }))).toBe(8);
    // The per-type rates' denominators read EmailsSent by EmailType.
    expect(await sum(ns, 'EmailsSent', dims({ EmailType: 'daily_digest' }))).toBe(8);
    // The monitoring guide's alarm: --dimensions Name=VetoReason,Value=SLA_MISSED Name=PipelineType,Value=crisis_alert
    expect(await sum(ns, 'PipelineVetoes', dims({ VetoReason: 'SLA_MISSED', PipelineType: 'crisis_alert' }))).toBe(1);
    expect(await sum(ns, 'SLAViolations', dims({ PipelineType: 'crisis_alert' }))).toBe(1);
    expect(await sum(ns, 'CrisisEscalations', dims({ PipelineType: 'crisis_alert' }))).toBe(1);
  });

  it('keeps the veto rate as one sample per run, so the daily Average alarm reads a percentage', async () => {
    const result = await cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: 'Storytailor/Pipelines',
        MetricName: 'VetoRate',
        Dimensions: dims({ PipelineType: 'daily_digest' }),
        StartTime: new Date(startedAt.getTime() - 3_600_000),
        EndTime: new Date(Date.now() + 3_600_000),
        Period: 86400,
        Statistics: ['Average', 'SampleCount'],
      }),
    );
    const [point] = result.Datapoints ?? [];
    expect(point?.SampleCount).toBe(1);
    expect(point?.Average).toBeCloseTo(50, 5);
  });

  it('flushes each invocation in one PutMetricData call per namespace', () => {
    expect(metrics.requests).toBe(2);
  });

  it('logs and drops the data when CloudWatch cannot be reached, without failing the job', async () => {
    const logger = memoryLogger();
    const unreachable = cloudWatchMetrics({
      client: new CloudWatchClient({ ...motoClientConfig(region), endpoint: 'http://127.0.0.1:9', maxAttempts: 1 }),
      environment: 'production',
      logger,
    });
    const curator = curatorHarness(db, { start: new Date(firing.getTime() + 86_400_000), metricsSink: unreachable });
    const summary = await curator.handler({ detail: { jobType: 'health' } });
    expect(summary.ok).toBe(true);
    expect(logger.lines).toMatchObject([{ level: 'ERROR', message: 'metrics publish failed; these data are dropped' }]);
  });
});
