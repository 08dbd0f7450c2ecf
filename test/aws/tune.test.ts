import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { memoryLogger } from '../../src/adapters/json-logger.js';
import { memoryMetrics } from '../../src/adapters/local/metrics.js';
import { ssmSwitches } from '../../src/adapters/aws/ssm-switches.js';
import { runOps } from '../../src/ops/cli.js';
import { killSwitchPath, killSwitchSlugs, parameterRoot } from '../../src/pipelines/index.js';
import type { WhatIfReport } from '../../src/what-if/report.js';
import { curatorHarness, scheduledEvent, tallyOf, type Harness } from '../support/curator-harness.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { deployCuratorInMoto, lambdaInvokeRouter } from '../support/lambda-invoke.js';
import { describeWithMoto, motoClientConfig, motoEndpoint, motoEnvironment } from '../support/moto.js';
import { postgrestServer } from '../support/postgrest.js';
import { seedDigestPopulation, type DigestPopulation } from '../support/population.js';


const region = 'ap-southeast-1';
const firing = new Date('2026-11-23T20:00:00Z');
const nextFiring = new Date('2026-11-24T20:00:00Z');
const root = parameterRoot('staging');
let db: TestDatabase;
let ssm: SSMClient;
let harness: Harness;
let population: DigestPopulation;
/** Engaged families who also started a story they did not finish: confidence 0.5, sent under 0.5, held under 0.6. */
let halfReaders: string[];

async function ops(args: string[], options: { confirm?: (question: string) => Promise<boolean> } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOps([...args, '--env', 'staging', '--region', region], motoEnvironment(region), {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    sql: db.sql,
    clock: { now: () => new Date(nextFiring.getTime() - 3_600_000) },
    ...options,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const parameter = async (key: string) => {
  try {
    return (await ssm.send(new GetParameterCommand({ Name: `${root}/${key}` }))).Parameter?.Value ?? null;
  } catch (error) {
    if ((error as Error).name === 'ParameterNotFound') return null;
    throw error;
  }
};
const thresholdChanges = () =>
  db.sql.query<{ pipeline_type: string; actor: string; reason: string; ticket: string | null; details: Record<string, unknown> }>(
    `select pipeline_type, actor, reason, ticket, details from human_overrides where override_type = 'threshold_change' order by seq`,
  );

describeWithMoto('ops tune: validate, show the what-if, write SSM and the override, and the next decision uses it', () => {
  beforeAll(async () => {
    db = await openTestDatabase();
    ssm = new SSMClient(motoClientConfig(region));
    for (const slug of killSwitchSlugs()) await ssm.send(new PutParameterCommand({ Name: killSwitchPath('staging', slug), Value: 'true', Type: 'String', Overwrite: true }));
    population = await seedDigestPopulation(db.sql, firing);
    halfReaders = population.engaged.slice(0, 5);
    const [story] = await db.sql.query<{ id: string }>(`select id from stories limit 1`);
    await db.sql.query(
      `insert into consumption_metrics (user_id, story_id, event_type, occurred_at) select u, $2, 'started', $3::timestamptz - interval '2 hours' from unnest($1::uuid[]) u`,
      [halfReaders, story!.id, firing],
    );
    // The same reading the next day.
    await db.sql.query(
      `insert into consumption_metrics (user_id, story_id, event_type, occurred_at) select user_id, story_id, event_type, occurred_at + interval '1 day' from consumption_metrics`,
    );
    harness = curatorHarness(db, {
      start: firing,
      switchSource: ssmSwitches({ client: ssm, environment: 'staging', ttlSeconds: 1, logger: memoryLogger(), metrics: memoryMetrics() }),
    });
    expect(tallyOf(await harness.handler(scheduledEvent('daily_digest', firing))).executed).toBe(population.engaged.length);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('refuses min-confidence=1.5 naming the bound, before any call, and writes nothing', async () => {
    const refused = await ops(['tune', 'daily-digest', 'min-confidence=1.5', '--reason', 'spam complaints', '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/daily-digest\/min-confidence: "1\.5" is not valid \(.*1\)/);
    expect(await parameter('daily-digest/min-confidence')).toBeNull();
    expect(await thresholdChanges()).toEqual([]);
    expect((await db.sql.query(`select count(*)::int as n from what_if_reports`))[0]).toEqual({ n: 0 });
    expect((await ops(['tune', 'daily-digest', 'min-confidance=0.6', '--reason', 'x', '--yes'])).err).toContain('unknown tunable "min-confidance"');
    expect((await ops(['tune', 'daily-digest', 'email-cap-24h=1', '--reason', 'x', '--yes'])).err).toContain('propose it for all');
    expect((await ops(['tune', 'daily-digest', 'min-confidence=0.6', '--yes'])).err).toContain('--reason is required');
  });

  it('asks for confirmation: with no terminal and no --yes it exits 2 and changes nothing', async () => {
    const unconfirmed = await ops(['tune', 'daily-digest', 'min-confidence=0.6', '--reason', 'spam complaints']);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.out).toContain('would change');
    expect(unconfirmed.err).toContain('add --yes');
    const declined = await ops(['tune', 'daily-digest', 'min-confidence=0.6', '--reason', 'spam complaints'], { confirm: async () => false });
    expect(declined.code).toBe(2);
    expect(await parameter('daily-digest/min-confidence')).toBeNull();
    expect(await thresholdChanges()).toEqual([]);
  });

  it('shows the what-if of the last days, writes the parameter and the override, and the next digest applies it', async () => {
    const whatIf = await ops(['what-if', 'daily-digest', 'min-confidence=0.6', '--json']);
    expect(whatIf.code).toBe(0);
    const report = JSON.parse(whatIf.out) as WhatIfReport & { reportId: string };
    const digest = report.pipelines.find((pipeline) => pipeline.pipelineType === 'daily_digest')!;
    expect(digest.total.executedToVetoed).toEqual({ LOW_CONFIDENCE: halfReaders.length });
    expect(digest.total).toMatchObject({ emailsBefore: population.engaged.length, emailsAfter: population.engaged.length - halfReaders.length });
    expect([...digest.sampleFamilies].sort()).toEqual([...halfReaders].sort());

    const tuned = await ops(['tune', 'daily-digest', 'min-confidence=0.6', '--reason', 'spam complaints', '--ticket', 'OPS-7', '--yes']);
    expect(tuned.code).toBe(0);
    expect(tuned.out).toMatch(/daily_digest\s+all days\s+\d+\s+5\s+LOW_CONFIDENCE 5/);
    expect(tuned.out).toContain(`${root}/daily-digest/min-confidence: (default) -> 0.6`);
    expect(await parameter('daily-digest/min-confidence')).toBe('0.6');
    expect(await thresholdChanges()).toEqual([
      expect.objectContaining({ pipeline_type: 'daily_digest', reason: 'spam complaints', ticket: 'OPS-7', details: { environment: 'staging', parameter: 'daily-digest/min-confidence', before: null, after: '0.6' } }),
    ]);

    await new Promise((resolve) => setTimeout(resolve, 1_100));
    harness.clock.set(nextFiring);
    const next = tallyOf(await harness.handler(scheduledEvent('daily_digest', nextFiring)));
    expect(next.vetoed.LOW_CONFIDENCE).toBe(population.lukewarm.length + halfReaders.length);
    expect(next.executed).toBe(population.engaged.length - halfReaders.length);
  });

  it.each([
    ['type-cap-window-hours=1e300', /crisis-alert\/type-cap-window-hours: "1e300" is not valid \(not a plain decimal number; expected a decimal number from 0\.25 to 24\)/],
    ['type-cap-max=0', /crisis-alert\/type-cap-max: "0" is not valid \(out of range; expected a whole number from 1 to 10\)/],
    ['sla-minutes=5e-324', /crisis-alert\/sla-minutes: "5e-324" is not valid \(not a plain decimal number/],
    ['sla-minutes=4', /crisis-alert\/sla-minutes: "4" is not valid \(out of range; expected a decimal number from 5 to 60\)/],
    ['min-signals=0x10', /crisis-alert\/min-signals: "0x10" is not valid \(not a plain decimal number/],
    ['min-confidence=1', /crisis-alert\/min-confidence: "1" is not valid \(out of range; expected a decimal number from 0\.5 to 0\.99\)/],
  ])('refuses crisis-alert %s, whoever approves it, and writes nothing', async (assignment, message) => {
    const refused = await ops(['tune', 'crisis-alert', assignment, '--reason', 'anything', '--approved-by', 'Dr. Amara Rivera', '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(message);
    expect(await parameter(`crisis-alert/${assignment.split('=')[0]}`)).toBeNull();
    expect(await thresholdChanges()).toHaveLength(1);
  });

  it('needs clinical approval by a named clinician for crisis-alert and early-intervention, and records who approved and who ran it', async () => {
    const unapproved = await ops(['tune', 'crisis-alert', 'min-confidence=0.9', '--reason', 'vetoed incorrectly', '--yes']);
    expect(unapproved).toMatchObject({ code: 2, err: expect.stringContaining('--approved-by') });
    const anyone = await ops(['tune', 'crisis-alert', 'min-confidence=0.9', '--reason', 'vetoed incorrectly', '--approved-by', 'anyone', '--yes']);
    expect(anyone).toMatchObject({ code: 2, err: expect.stringMatching(/^--approved-by "anyone" is not one of the clinical approvers of staging \(clinicalApprovers in cdk\.json\): Dr\. Amara Rivera, /) });
    expect(await parameter('crisis-alert/min-confidence')).toBeNull();
    const approved = await ops(['tune', 'crisis-alert', 'min-confidence=0.9', '--reason', 'vetoed incorrectly', '--approved-by', 'dr. amara  rivera', '--yes']);
    expect(approved.code).toBe(0);
    // No crisis alert was decided in the window: the confirmation says there is no evidence either way.
    expect(approved.out).toMatch(/clinical evidence \(approved by Dr\. Amara Rivera\):\n {2}crisis_alert: only 0 alert\(s\) that went out in the window could be decided again .*no evidence either way/);
    expect(await parameter('crisis-alert/min-confidence')).toBe('0.9');
    expect((await thresholdChanges()).at(-1)).toMatchObject({
      pipeline_type: 'crisis_alert',
      details: { parameter: 'crisis-alert/min-confidence', before: null, after: '0.9', approved_by: 'Dr. Amara Rivera', caller_arn: expect.stringMatching(/^arn:aws:(iam|sts)::\d{12}:/) },
    });
  });

  it('refuses a clinical change the what-if shows would hold back more than 20 % of the alerts that went out', async () => {
    // Six crisis alerts that went out under min-confidence 0.9, at confidences 0.96 to 0.99.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    harness.clock.set(new Date(nextFiring.getTime() - 2 * 3_600_000));
    const confidences = [0.96, 0.96, 0.97, 0.98, 0.99, 0.99];
    for (const [n, confidence] of confidences.entries()) {
      const event = { source: 'storytailor.agent', 'detail-type': 'Emotional Signal', detail: { signalId: `tune-crisis-${n}`, jobType: 'crisis_alert', userId: population.engaged[n], confidence, signalCount: 1, eventTimestamp: new Date(harness.clock.now().getTime() - 60_000).toISOString(), context: { childId: `child-${n}` } } };
      expect(tallyOf(await harness.handler(event)).executed).toBe(1);
    }
    const before = (await thresholdChanges()).length;
    const strict = await ops(['tune', 'crisis-alert', 'min-confidence=0.97', '--reason', 'too many alerts', '--approved-by', 'Dr. Amara Rivera', '--yes']);
    expect(strict.code).toBe(2);
    expect(strict.out).toContain('crisis_alert: 2 of the 6 alerts that went out in the window would no longer go out (33 %, more than 20 %)');
    expect(strict.err).toMatch(/^refused: the what-if shows 2 of 6 crisis_alert alerts that went out held back, more than 20 %; nothing was changed/);
    expect(await parameter('crisis-alert/min-confidence')).toBe('0.9');
    expect(await thresholdChanges()).toHaveLength(before);
    // Back to the default holds none of them back: applied.
    const eased = await ops(['tune', 'crisis-alert', 'min-confidence=0.95', '--reason', 'back to the default', '--approved-by', 'Dr. Samuel Okafor', '--yes']);
    expect(eased.code).toBe(0);
    expect(eased.out).toContain('crisis_alert: 0 of the 6 alerts that went out in the window would no longer go out (0 %)');
    expect(await parameter('crisis-alert/min-confidence')).toBe('0.95');
  });

  it('resets an override to the default and records it', async () => {
    const reset = await ops(['tune', 'daily-digest', 'min-confidence', '--reset', '--reason', 'complaints are back to normal', '--yes']);
    expect(reset.code).toBe(0);
    expect(await parameter('daily-digest/min-confidence')).toBeNull();
    expect((await thresholdChanges()).at(-1)).toMatchObject({ details: { parameter: 'daily-digest/min-confidence', before: '0.6', after: null } });
    expect((await ops(['tune', 'daily-digest', 'min-confidence', '--reset', '--reason', 'again', '--yes'])).out).toContain('nothing to reset');
  });
});

describeWithMoto('ops what-if on call: the deployed curator runs it where the data is', () => {
  let deployedDb: TestDatabase;
  beforeAll(async () => {
    deployedDb = await openTestDatabase();
  });
  afterAll(async () => {
    await deployedDb?.close();
  });

  it('invokes the curator with the what-if and prints its report; ops itself reads no decision', async () => {
    const population = await seedDigestPopulation(deployedDb.sql, firing);
    const curator = curatorHarness(deployedDb, { start: firing });
    await curator.handler(scheduledEvent('daily_digest', firing));
    curator.clock.set(new Date(firing.getTime() + 3_600_000));
    const postgrest = await postgrestServer(deployedDb.sql);
    const router = await lambdaInvokeRouter({ motoEndpoint: motoEndpoint!, functionName: 'storytailor-intelligence-curator-staging', handler: curator.handler });
    try {
      await deployCuratorInMoto(region, { supabaseUrl: postgrest.url, serviceKey: 'service-role-key-for-the-what-if-0123456789', name: 'curator-what-if-test' });
      const out: string[] = [];
      const err: string[] = [];
      const code = await runOps(['what-if', 'daily-digest', 'min-confidence=0.9', '--json', '--env', 'staging', '--region', region], { ...motoEnvironment(region), AWS_ENDPOINT_URL: router.url }, {
        out: (line) => out.push(line),
        err: (line) => err.push(line),
      });
      expect(err.join('\n')).toBe('');
      expect(code).toBe(0);
      expect(router.invocations).toEqual([{ detail: { jobType: 'what_if', scope: 'daily-digest', changes: { 'min-confidence': '0.9' }, days: 7 } }]);
      const report = JSON.parse(out.join('\n')) as WhatIfReport & { reportId: string };
      expect(report.pipelines.find((pipeline) => pipeline.pipelineType === 'daily_digest')?.total.decisions).toBe(
        population.engaged.length + population.idle.length + population.lukewarm.length + population.optedOut.length + population.suppressed.length,
      );
      expect(postgrest.requests.map((request) => request.path)).toEqual([]);
      const [kept] = await deployedDb.sql.query<{ id: string; scope: string }>(`select id, scope from what_if_reports`);
      expect(kept).toEqual({ id: report.reportId, scope: 'daily-digest' });
    } finally {
      await router.close();
      await postgrest.close();
    }
  });
});
