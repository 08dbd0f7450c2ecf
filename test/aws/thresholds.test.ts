import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runOps } from '../../src/ops/cli.js';
import type { ThresholdLine } from '../../src/ops/thresholds.js';
import { killSwitchPath, killSwitchSlugs, parameterRoot } from '../../src/pipelines/index.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { describeWithMoto, motoClientConfig, motoEnvironment } from '../support/moto.js';

const region = 'us-east-2';
let db: TestDatabase;

async function ops(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOps([...args, '--env', 'staging', '--region', region], motoEnvironment(region), {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    sql: db.sql,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describeWithMoto('ops thresholds: the policy in force, where each value comes from', () => {
  beforeAll(async () => {
    db = await openTestDatabase();
    const ssm = new SSMClient(motoClientConfig(region));
    const put = (key: string, value: string) =>
      ssm.send(new PutParameterCommand({ Name: `${parameterRoot('staging')}/${key}`, Value: value, Type: 'String', Overwrite: true }));
    for (const slug of killSwitchSlugs()) await ssm.send(new PutParameterCommand({ Name: killSwitchPath('staging', slug), Value: 'true', Type: 'String', Overwrite: true }));
    await put('daily-digest/min-confidence', '0.6');
    await put('crisis-alert/min-confidence', '1.5');
    await put('daily-digest/type-cap-max', '2');
    await put('all/email-cap-24h', '3');
    await put('all/quiet-hours-start', '22:30');
    await put('all/quiet-hours-end', '11:00');
    await put('daily-digest/breaker-rate-percent', '1');
    await put('daily-digest/min-confidance', '0.6');
    await db.sql.query(
      `insert into human_overrides (pipeline_type, override_type, actor, reason, ticket, details, occurred_at)
       values ('daily_digest', 'threshold_change', 'ops-a', 'first try', 'OPS-1', '{"parameter": "daily-digest/min-confidence", "before": null, "after": "0.55"}', '2026-11-20T10:00:00Z'),
              ('daily_digest', 'threshold_change', 'ops-b', 'spam complaints', 'OPS-2', '{"parameter": "daily-digest/min-confidence", "before": "0.55", "after": "0.6"}', '2026-11-21T10:00:00Z')`,
    );
  });
  afterAll(async () => {
    await db?.close();
  });

  it('answers each tunable with its default, the value in force and who set it, or why it is ignored', async () => {
    const shown = await ops(['thresholds', '--json']);
    expect(shown.code).toBe(0);
    const { thresholds, unknownParameters } = JSON.parse(shown.out) as { thresholds: ThresholdLine[]; unknownParameters: string[] };
    const line = (parameter: string) => thresholds.find((entry) => entry.parameter === parameter);
    expect(line('daily-digest/min-confidence')).toMatchObject({ default: '0.5', effective: '0.6', source: 'override', setBy: 'ops-b', reason: 'spam complaints', setAt: expect.stringMatching(/^2026-11-21/) });
    expect(line('daily-digest/min-signals')).toMatchObject({ default: '1', effective: '1', source: 'default', setBy: null });
    expect(line('crisis-alert/min-confidence')).toMatchObject({ default: '0.95', effective: '0.95', source: 'ignored', value: '1.5', problem: expect.stringContaining('is not valid') });
    expect(line('daily-digest/type-cap-max')).toMatchObject({ effective: '(none)', source: 'ignored', problem: expect.stringContaining('has no such check') });
    expect(line('all/email-cap-24h')).toMatchObject({ pipeline: 'all', default: '2', effective: '3', source: 'override', setBy: null });
    expect(line('daily-digest/breaker-rate-percent')).toMatchObject({ default: '0.5', effective: '1', source: 'override' });
    expect(line('crisis-alert/breaker-rate-percent')).toBeUndefined();
    expect(line('early-intervention/type-cap-max')).toMatchObject({ default: '1', effective: '1', source: 'default' });
    // Quiet hours as HH:MM: one in force, one out of its bounds and ignored (the default stands).
    expect(line('all/quiet-hours-start')).toMatchObject({ default: '21:00', effective: '22:30', source: 'override', range: 'a time of day, HH:MM, from 18:00 to 23:59' });
    expect(line('all/quiet-hours-end')).toMatchObject({ default: '08:00', effective: '08:00', source: 'ignored', value: '11:00', problem: expect.stringContaining('out of range') });
    expect(unknownParameters).toEqual(['daily-digest/min-confidance']);
  });

  it('prints a table for people, one pipeline by slug or jobType, and refuses an unknown one', async () => {
    const table = await ops(['thresholds', 'daily-digest']);
    expect(table.out).toMatch(/daily-digest\/min-confidence\s+0\.5\s+a decimal number from 0 to 1\s+0\.6\s+override 0\.6\s+ops-b 2026-11-21 10:00:00/);
    expect(table.out).toMatch(/all\/email-cap-24h\s+2\s+a whole number from 1 to 20\s+3\s+override 3\s+\(no ops tune record: set by hand\)/);
    expect(table.out).toContain('daily-digest/type-cap-max: daily-digest has no such check; ignored');
    expect(table.out).toContain('parameters the curator does not read (a typo?): daily-digest/min-confidance');
    expect(table.out).not.toContain('crisis-alert/min-confidence');
    expect((await ops(['thresholds', 'crisis_alert'])).out).toContain('IGNORED "1.5"');
    expect(await ops(['thresholds', 'no-such-pipeline'])).toMatchObject({ code: 2, err: expect.stringContaining('unknown pipeline') });
  });
});
