import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryContinuations } from '../../src/adapters/aws/sqs-continuations.js';
import type { Continuations } from '../../src/curator/ports.js';
import { releaseEvent, whatIfEvent } from '../../src/events/curator-events.js';
import { runOps } from '../../src/ops/cli.js';
import type { CuratorResult, ReleaseResult } from '../../src/runner/job-result.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { curatorHarness, scheduledEvent, signalEvent, tallyOf, type Harness } from '../support/curator-harness.js';
import { seedDigestPopulation } from '../support/population.js';
import { insertEmail } from '../support/seed.js';

// A Monday's digest at 20:00 UTC: 01:30 the next morning in Mumbai, 07:00 in Sydney, 15:00 in New York.
const firing = new Date('2027-01-04T20:00:00Z');
const nextFiring = new Date('2027-01-05T20:00:00Z');

const setZone = (db: TestDatabase, user: string, zone: string, start: string | null = null, end: string | null = null) =>
  db.sql.query(`select curator_set_family_time_zone($1, $2, $3, $4, $5)`, [user, zone, start, end, firing]);

const held = (db: TestDatabase, user: string) =>
  db.sql.query<{ period_key: string; status: string; veto_reason: string | null; held_until: Date | string | null }>(
    `select period_key, status, veto_reason, held_until from pipeline_executions where pipeline_type = 'daily_digest' and user_id = $1 order by period_key`,
    [user],
  );
const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

function released(result: CuratorResult): ReleaseResult {
  if (!result.ok || result.kind !== 'release') throw new Error(`not a release: ${JSON.stringify(result)}`);
  return result;
}
const digestOf = (result: ReleaseResult) => result.pipelines.find((pipeline) => pipeline.jobType === 'daily_digest')!;

describe('quiet hours in the family\'s own time zone', () => {
  let db: TestDatabase;
  let curator: Harness;
  let mumbai: string;
  let sydney: string;
  let newYork: string;
  let ownWindow: string;
  let nowhere: string;

  beforeAll(async () => {
    db = await openTestDatabase();
    const population = await seedDigestPopulation(db.sql, firing, { engaged: 5, idle: 0, lukewarm: 0, optedOut: 0, suppressed: 0, inactive: 0 });
    [mumbai, sydney, newYork, ownWindow, nowhere] = population.engaged as [string, string, string, string, string];
    await setZone(db, mumbai, 'Asia/Kolkata');
    await setZone(db, sydney, 'Australia/Sydney');
    await setZone(db, newYork, 'America/New_York');
    // Its own window ends at 01:00: at 01:30 it is awake.
    await setZone(db, ownWindow, 'Asia/Kolkata', '22:00', '01:00');
    curator = curatorHarness(db, { start: new Date(firing.getTime() + 5_000), pageSize: 2 });
  });
  afterAll(async () => {
    await db?.close();
  });

  it('holds the 20:00 UTC digest for the families whose night it is, with the time their window ends, and sends the rest', async () => {
    const summary = await curator.handler(scheduledEvent('daily_digest', firing));
    expect(tallyOf(summary)).toMatchObject({ candidates: 5, executed: 3, emailsSent: 3, vetoed: { QUIET_HOURS: 2 } });
    expect(new Set(curator.mailer.sent.map((email) => email.userId))).toEqual(new Set([newYork, ownWindow, nowhere]));
    expect((await held(db, mumbai)).map((row) => ({ ...row, held_until: iso(row.held_until) }))).toEqual([
      { period_key: '2027-01-04', status: 'vetoed', veto_reason: 'QUIET_HOURS', held_until: '2027-01-05T02:30:00.000Z' },
    ]);
    expect(iso((await held(db, sydney))[0]!.held_until)).toBe('2027-01-04T21:00:00.000Z');
    expect(iso((await held(db, newYork))[0]!.held_until)).toBeNull();
  });

  it('counts a hold apart from the vetoes: the run keeps it, VetoRate leaves it out', async () => {
    const [run] = await db.sql.query(`select vetoed, held, executed from pipeline_runs where job_type = 'daily_digest' and trigger = 'schedule'`);
    expect(run).toEqual({ vetoed: 2, held: 2, executed: 3 });
    expect(curator.metrics.points.filter((point) => point.name === 'VetoRate' && point.pipelineType === 'daily_digest').map((point) => point.value)).toEqual([0]);
  });

  it('sends a crisis alert at 03:00 in Mumbai at once: critical email is never held', async () => {
    curator.clock.set(new Date('2027-01-04T21:30:00Z'));
    const alert = await curator.handler(
      signalEvent({ signalId: 'night-crisis', jobType: 'crisis_alert', userId: mumbai, confidence: 0.98, signalCount: 1, eventTimestamp: '2027-01-04T21:29:30Z' }),
    );
    expect(tallyOf(alert)).toMatchObject({ executed: 1, emailsSent: 1 });
    expect(curator.mailer.sent.filter((email) => email.userId === mumbai).map((email) => email.emailType)).toEqual(['crisis_alert']);
  });

  it('releases nothing before a window ends, and takes no run for it', async () => {
    curator.clock.set(new Date('2027-01-04T20:45:00Z'));
    const result = released(await curator.handler(releaseEvent('early')));
    expect(result.pipelines.map((pipeline) => pipeline.outcome.status)).toEqual(['nothing_due', 'nothing_due', 'nothing_due']);
    expect(await db.sql.query(`select id from pipeline_runs where trigger = 'release'`)).toEqual([]);
  });

  it('sends Sydney\'s when its window opens, as a release run, once however often the release is delivered', async () => {
    curator.clock.set(new Date('2027-01-04T21:00:00Z'));
    const result = released(await curator.handler(releaseEvent('exec-2100')));
    expect(result.pipelines.map((pipeline) => pipeline.jobType)).toEqual(['org_health_report', 'weekly_insights', 'daily_digest']);
    expect(digestOf(result).outcome).toMatchObject({ status: 'succeeded', tally: { executed: 1, emailsSent: 1 } });
    expect(curator.mailer.sent.filter((email) => email.userId === sydney && email.emailType === 'daily_digest')).toHaveLength(1);
    expect(await held(db, sydney)).toMatchObject([{ period_key: '2027-01-04', status: 'succeeded', veto_reason: null }]);
    expect(await held(db, mumbai)).toMatchObject([{ status: 'vetoed', veto_reason: 'QUIET_HOURS' }]);

    const again = released(await curator.handler(releaseEvent('exec-2100')));
    expect(digestOf(again).outcome.status).toBe('nothing_due');
    const [run] = await db.sql.query(`select trigger, period_key, executed, status from pipeline_runs where trigger = 'release'`);
    expect(run).toEqual({ trigger: 'release', period_key: 'release:exec-2100', executed: 1, status: 'succeeded' });
    expect(curator.mailer.sent.filter((email) => email.userId === sydney && email.emailType === 'daily_digest')).toHaveLength(1);
    // On-call looks the release run up by its key.
    const out: string[] = [];
    const code = await runOps(['run', 'daily_digest:release:exec-2100', '--env', 'staging'], {}, { out: (line) => out.push(line), err: (line) => out.push(line), sql: db.sql });
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/release:exec-2100/);
  });

  it('sends Mumbai\'s at 08:00 there (02:30 UTC), not at 01:30', async () => {
    curator.clock.set(new Date('2027-01-05T02:15:00Z'));
    expect(digestOf(released(await curator.handler(releaseEvent('exec-0215')))).outcome.status).toBe('nothing_due');
    curator.clock.set(new Date('2027-01-05T02:30:00Z'));
    const result = released(await curator.handler(releaseEvent('exec-0230')));
    expect(digestOf(result).outcome).toMatchObject({ status: 'succeeded', tally: { executed: 1 } });
    const digests = curator.mailer.sent.filter((email) => email.emailType === 'daily_digest');
    expect(new Set(digests.map((email) => email.userId))).toEqual(new Set([mumbai, sydney, newYork, ownWindow, nowhere]));
    expect(digests).toHaveLength(5);
  });
});

describe('a held digest at release time', () => {
  let db: TestDatabase;
  let curator: Harness;
  let capped: string;
  let forgotten: string;

  beforeAll(async () => {
    db = await openTestDatabase();
    const population = await seedDigestPopulation(db.sql, firing, { engaged: 2, idle: 0, lukewarm: 0, optedOut: 0, suppressed: 0, inactive: 0 });
    [capped, forgotten] = population.engaged as [string, string];
    for (const user of [capped, forgotten]) await setZone(db, user, 'Asia/Kolkata');
    curator = curatorHarness(db, { start: new Date(firing.getTime() + 5_000) });
    expect(tallyOf(await curator.handler(scheduledEvent('daily_digest', firing)))).toMatchObject({ vetoed: { QUIET_HOURS: 2 } });
  });
  afterAll(async () => {
    await db?.close();
  });

  it('answers to the caps as they stand when it is sent, not when it was held', async () => {
    // Two other emails reached the family in the night: the 24-hour cap of two is full by the morning.
    for (const hoursAgo of [5, 4]) await insertEmail(db.sql, { userId: capped, emailType: 'weekly_insights', status: 'delivered', at: new Date('2027-01-05T02:30:00Z'), hoursAgo });
    await db.sql.query(`select curator_set_family_time_zone($1, null, null, null, $2)`, [forgotten, firing]);
    await db.sql.query(`select curator_set_family_time_zone($1, 'Asia/Kolkata', '21:00', '23:30', $2)`, [forgotten, firing]);
    // Only the capped family's hold is due: the other's row was re-set, but its held_until (02:30 UTC) stands.
    curator.clock.set(new Date('2027-01-05T02:30:00Z'));
    const result = released(await curator.handler(releaseEvent('cap-check')));
    expect(digestOf(result).outcome).toMatchObject({ tally: { vetoed: { FREQUENCY_CAP: 1 }, executed: 1 } });
    expect(await held(db, capped)).toMatchObject([{ status: 'vetoed', veto_reason: 'FREQUENCY_CAP', held_until: null }]);
  });

  it('is superseded, never sent late, when its pipeline\'s next firing came first', async () => {
    const db2 = await openTestDatabase();
    try {
      const population = await seedDigestPopulation(db2.sql, firing, { engaged: 1, idle: 0, lukewarm: 0, optedOut: 0, suppressed: 0, inactive: 0 });
      const [family] = population.engaged as [string];
      await setZone(db2, family, 'Asia/Kolkata');
      const harness = curatorHarness(db2, { start: new Date(firing.getTime() + 5_000) });
      await harness.handler(scheduledEvent('daily_digest', firing));
      // No release ran all day (the schedule was broken); the next firing holds the next day's digest too.
      harness.clock.set(new Date(nextFiring.getTime() + 5_000));
      await db2.sql.query(
        `insert into consumption_metrics (user_id, story_id, event_type, occurred_at) select $1, story_id, 'completed', $2 from consumption_metrics limit 1`,
        [family, new Date(nextFiring.getTime() - 3_600_000)],
      );
      expect(tallyOf(await harness.handler(scheduledEvent('daily_digest', nextFiring)))).toMatchObject({ vetoed: { QUIET_HOURS: 1 } });
      harness.clock.set(new Date('2027-01-06T02:30:00Z'));
      const result = released(await harness.handler(releaseEvent('after-outage')));
      expect(digestOf(result)).toMatchObject({ superseded: 1, outcome: { tally: { executed: 1 } } });
      expect((await held(db2, family)).map((row) => [row.period_key, row.status, iso(row.held_until)])).toEqual([
        ['2027-01-04', 'superseded', '2027-01-05T02:30:00.000Z'],
        ['2027-01-05', 'succeeded', null],
      ]);
      expect(harness.mailer.sent.filter((email) => email.emailType === 'daily_digest')).toHaveLength(1);
    } finally {
      await db2.close();
    }
  });
});

describe('what a window would have held, by local hour (ops what-if)', () => {
  it('decides the recorded digests again with the proposed window, on each family\'s own clock', async () => {
    const db = await openTestDatabase();
    try {
      const population = await seedDigestPopulation(db.sql, firing, { engaged: 3, idle: 0, lukewarm: 0, optedOut: 0, suppressed: 0, inactive: 0 });
      // The third family was never placed: no quiet hours, whatever the window.
      const [london, newYork] = population.engaged as [string, string, string];
      await setZone(db, london, 'Europe/London');
      await setZone(db, newYork, 'America/New_York');
      const curator = curatorHarness(db, { start: new Date(firing.getTime() + 5_000) });
      expect(tallyOf(await curator.handler(scheduledEvent('daily_digest', firing)))).toMatchObject({ executed: 3 });
      curator.clock.set(new Date(firing.getTime() + 3_600_000));
      // 20:00 in London is outside 21:00-08:00, inside 19:00-08:00; 15:00 in New York is outside both.
      const answer = await curator.handler(whatIfEvent({ scope: 'all', changes: { 'quiet-hours-start': '19:00' }, days: 1 }));
      if (!answer.ok || answer.kind !== 'what_if') throw new Error(JSON.stringify(answer));
      const digest = answer.report.pipelines.find((pipeline) => pipeline.pipelineType === 'daily_digest')!;
      expect(digest.total).toMatchObject({ decisions: 3, changed: 1, executedToVetoed: { QUIET_HOURS: 1 }, heldByLocalHour: { '20:00': 1 } });
      expect(digest.sampleFamilies).toEqual([london]);
    } finally {
      await db.close();
    }
  });
});

describe('a release that nears the deadline', () => {
  it('hands itself on where it stopped and starts no other pipeline past the deadline; its continuation sends the rest once', async () => {
    const db = await openTestDatabase();
    try {
      const population = await seedDigestPopulation(db.sql, firing, { engaged: 3, idle: 0, lukewarm: 0, optedOut: 0, suppressed: 0, inactive: 0 });
      const families = population.engaged;
      for (const family of families) await setZone(db, family, 'Asia/Kolkata');
      // Enough reading in the week for the insights (three finished stories each).
      await db.sql.query(
        `insert into consumption_metrics (user_id, story_id, event_type, occurred_at)
         select u, (select story_id from consumption_metrics limit 1), 'completed', '2027-01-02T12:00:00Z'::timestamptz + g * interval '1 hour'
         from unnest($1::uuid[]) u, generate_series(1, 3) g`,
        [families],
      );
      // Sunday's insights at 18:00 UTC (23:30 in Mumbai) and Monday's digest at 20:00 UTC (01:30): all held.
      const insightsFiring = new Date('2027-01-03T18:00:00Z');
      const curator = curatorHarness(db, { start: new Date(insightsFiring.getTime() + 5_000), pageSize: 1 });
      expect(tallyOf(await curator.handler(scheduledEvent('weekly_insights', insightsFiring)))).toMatchObject({ vetoed: { QUIET_HOURS: 3 } });
      curator.clock.set(new Date(firing.getTime() + 5_000));
      expect(tallyOf(await curator.handler(scheduledEvent('daily_digest', firing)))).toMatchObject({ vetoed: { QUIET_HOURS: 3 } });

      const queue = memoryContinuations();
      (curator.deps as { continuations?: Continuations }).continuations = queue;
      curator.clock.set(new Date('2027-01-05T02:30:00Z'));
      const nearlyOut = { awsRequestId: 'release-1', getRemainingTimeInMillis: () => 5_000 };
      const first = released(await curator.handler(releaseEvent('deadline'), nearlyOut));
      expect(first.pipelines.map((pipeline) => [pipeline.jobType, pipeline.outcome.status])).toEqual([
        ['org_health_report', 'nothing_due'],
        ['weekly_insights', 'continued'],
      ]);
      expect(await db.sql.query(`select job_type from pipeline_runs where trigger = 'release' order by job_type`)).toEqual([{ job_type: 'weekly_insights' }]);
      expect(queue.queued).toEqual([{ detail: { jobType: 'release', releaseId: 'deadline' } }]);

      const roomy = { awsRequestId: 'release-2', getRemainingTimeInMillis: () => 600_000 };
      const body = JSON.stringify(queue.queued.shift());
      await curator.handler({ Records: [{ messageId: 'continued-1', body, eventSource: 'aws:sqs' }] }, roomy);
      expect(queue.queued).toEqual([]);
      const sent = curator.mailer.sent.map((email) => `${email.emailType} ${email.userId}`).sort();
      expect(sent).toEqual(families.flatMap((family) => [`daily_digest ${family}`, `weekly_insights ${family}`]).sort());
      const runs = await db.sql.query(`select job_type, status, executed from pipeline_runs where trigger = 'release' order by job_type`);
      expect(runs).toEqual([
        { job_type: 'daily_digest', status: 'succeeded', executed: 3 },
        { job_type: 'weekly_insights', status: 'succeeded', executed: 3 },
      ]);
    } finally {
      await db.close();
    }
  });
});
