import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { memoryLogger } from '../../src/adapters/json-logger.js';
import { memoryMetrics } from '../../src/adapters/local/metrics.js';
import { ssmSwitches } from '../../src/adapters/aws/ssm-switches.js';
import { killSwitchPath, killSwitchSlugs } from '../../src/pipelines/index.js';
import { curatorHarness, replayEvent, scheduledEvent, signalEvent, tallyOf } from '../support/curator-harness.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { describeWithMoto, motoClientConfig, motoEndpoint, motoEnvironment } from '../support/moto.js';
import { seedDigestPopulation } from '../support/population.js';

const region = 'us-west-2';
const monday = new Date('2026-11-23T20:00:00Z');
const tuesday = new Date('2026-11-24T20:00:00Z');

let db: TestDatabase;
let ssm: SSMClient;

/** The operations guide's command, as ops would type it, pointed at the emulator. */
function awsSsmPutParameter(name: string, value: string) {
  execFileSync('aws', ['ssm', 'put-parameter', '--name', name, '--value', value, '--overwrite', '--endpoint-url', motoEndpoint!, '--region', region], {
    env: { ...process.env, ...motoEnvironment(region) },
    stdio: 'pipe',
  });
}

describeWithMoto('kill switches in SSM', () => {
  beforeAll(async () => {
    db = await openTestDatabase();
    await seedDigestPopulation(db.sql, monday, { engaged: 6, idle: 1, lukewarm: 1, optedOut: 1, suppressed: 1 });
    await seedDigestPopulation(db.sql, tuesday, { engaged: 0, idle: 0, lukewarm: 0, optedOut: 0, suppressed: 0, inactive: 0 });
    // Tuesday's reading for Monday's engaged families.
    await db.sql.query(
      `insert into consumption_metrics (user_id, story_id, event_type, occurred_at)
       select user_id, story_id, event_type, occurred_at + interval '1 day' from consumption_metrics`,
    );
    ssm = new SSMClient(motoClientConfig(region));
    for (const slug of killSwitchSlugs()) {
      await ssm.send(new PutParameterCommand({ Name: killSwitchPath('staging', slug), Value: 'true', Type: 'String', Overwrite: true }));
    }
  });
  afterAll(async () => {
    await db?.close();
  });

  it('are obeyed: the operations guide command stops the digest, re-enabling and a replay send what was held', async () => {
    const metrics = memoryMetrics();
    const switches = ssmSwitches({ client: ssm, environment: 'staging', ttlSeconds: 0, logger: memoryLogger(), metrics });
    const curator = curatorHarness(db, { start: new Date(monday.getTime() + 1_000), switchSource: switches });

    const open = await curator.handler(scheduledEvent('daily_digest', monday));
    expect(tallyOf(open).executed).toBe(6);

    awsSsmPutParameter('/storytailor-staging/pipelines/daily-digest/enabled', 'false');
    curator.clock.set(new Date(tuesday.getTime() + 1_000));
    const held = await curator.handler(scheduledEvent('daily_digest', tuesday));
    expect(tallyOf(held)).toMatchObject({ executed: 0, vetoed: { KILL_SWITCH_ACTIVE: 10 } });

    awsSsmPutParameter('/storytailor-staging/pipelines/daily-digest/enabled', 'true');
    const replay = await curator.handler(replayEvent({ jobType: 'daily_digest', vetoReason: 'KILL_SWITCH_ACTIVE', from: '2026-11-24T00:00:00Z' }));
    expect(tallyOf(replay).executed).toBe(6);
    expect(metrics.total('SwitchReadFailures')).toBe(0);
  });

  it('are cached for the TTL: a flip is seen only once the cache expires', async () => {
    const switches = ssmSwitches({ client: ssm, environment: 'staging', ttlSeconds: 300, logger: memoryLogger(), metrics: memoryMetrics() });
    expect((await switches.read()).parameters?.get('weekly-insights/enabled')).toBe('true');
    awsSsmPutParameter('/storytailor-staging/pipelines/weekly-insights/enabled', 'false');
    expect((await switches.read()).parameters?.get('weekly-insights/enabled')).toBe('true');
    const fresh = ssmSwitches({ client: ssm, environment: 'staging', ttlSeconds: 0, logger: memoryLogger(), metrics: memoryMetrics() });
    expect((await fresh.read()).parameters?.get('weekly-insights/enabled')).toBe('false');
    awsSsmPutParameter('/storytailor-staging/pipelines/weekly-insights/enabled', 'true');
  });

  it('when SSM was never readable: email vetoes, a crisis alert proceeds, and the failure is logged and counted', async () => {
    const metrics = memoryMetrics();
    const logger = memoryLogger();
    const unreachable = new SSMClient({ ...motoClientConfig(region), endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const switches = ssmSwitches({ client: unreachable, environment: 'staging', ttlSeconds: 0, logger, metrics });
    const curator = curatorHarness(db, { start: new Date(tuesday.getTime() + 3_600_000), switchSource: switches });
    const users = await db.sql.query<{ id: string }>(`select id from users where is_active and email like 'engaged-%' order by id limit 1`);
    const crisis = await curator.handler(
      signalEvent({ signalId: 'ssm-down-1', jobType: 'crisis_alert', userId: users[0]!.id, confidence: 0.99, signalCount: 1, eventTimestamp: new Date(tuesday.getTime() + 3_590_000).toISOString() }),
    );
    expect(tallyOf(crisis).executed).toBe(1);
    const digest = await curator.handler(replayEvent({ jobType: 'daily_digest', periodKey: '2026-11-25', dryRun: true }));
    expect(tallyOf(digest).vetoed).toMatchObject({ KILL_SWITCH_ACTIVE: 10 });
    expect(metrics.total('SwitchReadFailures')).toBeGreaterThanOrEqual(1);
    expect(logger.lines.some((line) => line.level === 'ERROR' && String(line.message).includes('never read'))).toBe(true);
  });

  it('retries a throttled read before falling back', async () => {
    let throttled = 0;
    const proxy: Server = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      if (throttled < 2) {
        throttled += 1;
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
        return;
      }
      const upstream = await fetch(`${motoEndpoint}${request.url}`, {
        method: request.method,
        headers: Object.fromEntries(Object.entries(request.headers).filter(([key]) => key !== 'host' && key !== 'content-length')) as Record<string, string>,
        body: Buffer.concat(chunks),
      });
      response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      response.end(Buffer.from(await upstream.arrayBuffer()));
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const port = (proxy.address() as { port: number }).port;
    try {
      const metrics = memoryMetrics();
      const client = new SSMClient({ ...motoClientConfig(region), endpoint: `http://127.0.0.1:${port}`, maxAttempts: 5 });
      const switches = ssmSwitches({ client, environment: 'staging', ttlSeconds: 0, logger: memoryLogger(), metrics });
      const snapshot = await switches.read();
      expect(throttled).toBe(2);
      expect(snapshot).toMatchObject({ stale: false });
      expect(snapshot.parameters?.get('all/enabled')).toBe('true');
      expect(metrics.total('SwitchReadFailures')).toBe(0);
    } finally {
      proxy.close();
    }
  });
});
