import { CloudWatchClient, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { memoryLogger } from '../../src/adapters/json-logger.js';
import { loadConfig } from '../../src/wiring/config.js';
import { createCuratorHandler } from '../../src/handlers/curator.js';
import { buildDependencies } from '../../src/wiring/dependencies.js';
import { killSwitchPath, killSwitchSlugs } from '../../src/pipelines/index.js';
import { recordingMailer, scheduledEvent, tallyOf } from '../support/curator-harness.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { describeWithMoto, motoClientConfig, motoCredentials, motoEndpoint } from '../support/moto.js';
import { seedDigestPopulation } from '../support/population.js';
import { manualClock } from '../../src/adapters/clock.js';

const region = 'sa-east-1';
const firing = new Date('2026-11-23T20:00:00Z');
let db: TestDatabase;

describeWithMoto('the handler configured for AWS', () => {
  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = motoCredentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = motoCredentials.secretAccessKey;
    db = await openTestDatabase();
    await seedDigestPopulation(db.sql, firing, { engaged: 3, idle: 1, lukewarm: 0, optedOut: 0, suppressed: 0 });
    const ssm = new SSMClient(motoClientConfig(region));
    for (const slug of killSwitchSlugs()) {
      await ssm.send(new PutParameterCommand({ Name: killSwitchPath('production', slug), Value: slug === 'daily-digest' ? 'false' : 'true', Type: 'String', Overwrite: true }));
    }
  });
  afterAll(async () => {
    await db?.close();
  });

  it('reads its switches from SSM and publishes its metrics to CloudWatch from configuration alone', async () => {
    const config = loadConfig({ CURATOR_ENV: 'production', AWS_LAMBDA_FUNCTION_NAME: 'storytailor-intelligence-curator-production', AWS_REGION: region, AWS_ENDPOINT_URL: motoEndpoint! });
    expect(config.aws).toMatchObject({ switchSource: 'ssm', metrics: 'cloudwatch', switchTtlSeconds: 300 });
    const deps = await buildDependencies(config, { sql: db.sql, mailer: recordingMailer(), logger: memoryLogger(), clock: manualClock(new Date(firing.getTime() + 1_000)) });
    const summary = await createCuratorHandler(async () => deps)(scheduledEvent('daily_digest', firing));
    expect(tallyOf(summary).vetoed).toEqual({ KILL_SWITCH_ACTIVE: 4 });
    const listed = await new CloudWatchClient(motoClientConfig(region)).send(new ListMetricsCommand({ Namespace: 'Storytailor/Pipelines', MetricName: 'PipelineVetoes' }));
    expect(listed.Metrics?.some((metric) => metric.Dimensions?.some((dimension) => dimension.Value === 'KILL_SWITCH_ACTIVE'))).toBe(true);
    // Each store call is timed by its SQL function, for the database query targets' p99 alarms.
    const timed = await new CloudWatchClient(motoClientConfig(region)).send(new ListMetricsCommand({ Namespace: 'Storytailor/Pipelines', MetricName: 'StoreCallDuration' }));
    const functions = (timed.Metrics ?? []).flatMap((metric) => metric.Dimensions ?? []).map((dimension) => `${dimension.Name}=${dimension.Value}`);
    expect(functions).toEqual(expect.arrayContaining(['Function=curator_acquire_run', 'Function=curator_digest_candidates', 'Function=curator_record_decisions']));
  });

  it('names a malformed AWS setting', () => {
    expect(() => loadConfig({ AWS_REGION: 'US East' })).toThrow(/AWS_REGION: must be a region such as us-east-1/);
    expect(() => loadConfig({ CURATOR_SWITCH_SOURCE: 'dynamo' })).toThrow(/CURATOR_SWITCH_SOURCE: Invalid option: expected one of "ssm"\|"local"/);
  });
});
