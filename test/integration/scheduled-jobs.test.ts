import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { curatorHarness, scheduledEvent, type Harness, tallyOf } from '../support/curator-harness.js';
import { faults } from '../support/faults.js';
import { insertUsers } from '../support/seed.js';

let db: TestDatabase;
let curator: Harness;
let users: string[];

// Sunday 22 November 2026 and Monday 7 December 2026 (the first Monday of December).
const sunday = new Date('2026-11-22T18:00:00Z');
const firstMonday = new Date('2026-12-07T09:00:00Z');

beforeAll(async () => {
  db = await openTestDatabase();
  users = await insertUsers(db.sql, 6, { prefix: 'sched' });
  const [story] = await db.sql.query<{ id: string }>(`insert into stories (title) values ('Owls at night') returning id`);
  // Three engaged readers across the week; one who read once.
  await db.sql.query(
    `insert into consumption_metrics (user_id, story_id, event_type, occurred_at)
     select u, $2, e, $3::timestamptz - (d || ' days')::interval
     from unnest($1::uuid[]) u, unnest(array['started', 'completed', 'replayed']) e, generate_series(1, 3) d`,
    [users.slice(0, 3), story!.id, sunday],
  );
  await db.sql.query(`insert into consumption_metrics (user_id, story_id, event_type, occurred_at) values ($1, $2, 'completed', $3::timestamptz - interval '1 day')`, [
    users[3],
    story!.id,
    sunday,
  ]);
  const [org] = await db.sql.query<{ id: string }>(`insert into organizations (name) values ('Maple Street School') returning id`);
  await db.sql.query(
    `insert into organization_members (organization_id, user_id, role)
     values ($1, $2, 'admin'), ($1, $3, 'admin'), ($1, $4, 'member'), ($1, $5, 'member')`,
    [org!.id, users[4], users[5], users[0], users[1]],
  );
  curator = curatorHarness(db, { start: new Date(sunday.getTime() + 60_000) });
});
afterAll(async () => {
  await db?.close();
});

describe('weekly insights', () => {
  it('emails users with at least 3 signals and 0.7 confidence over the week, keyed by ISO week', async () => {
    const summary = await curator.handler(scheduledEvent('weekly_insights', sunday));
    expect(summary).toMatchObject({ ok: true, status: 'succeeded', periodKey: '2026-W47' });
    expect(tallyOf(summary)).toMatchObject({ executed: 0, vetoed: { LOW_CONFIDENCE: 3, INSUFFICIENT_SIGNAL: 3 } });
  });
});

describe('organisation health reports', () => {
  it('emails every admin on the first Monday, about their organisation, keyed by month', async () => {
    curator.clock.set(new Date(firstMonday.getTime() + 60_000));
    const summary = await curator.handler(scheduledEvent('org_health_report', firstMonday));
    expect(summary).toMatchObject({ ok: true, status: 'succeeded', periodKey: '2026-12' });
    expect(tallyOf(summary).executed).toBe(2);
    const admins = curator.mailer.sent.filter((email) => email.emailType === 'org_health_report');
    expect(admins.map((email) => email.userId).sort()).toEqual([users[4], users[5]].sort());
    expect(admins[0]!.templateData).toMatchObject({ organization_name: 'Maple Street School', members: 4, period_key: '2026-12' });
  });
});

describe('story scoring', () => {
  it('scores the stories read in the last 30 days in SQL, once per day', async () => {
    const at = new Date('2026-11-23T04:00:00Z');
    curator.clock.set(at);
    const summary = await curator.handler(scheduledEvent('story_scoring', at));
    expect(summary).toMatchObject({ ok: true, status: 'succeeded', details: { storiesScored: 1 } });
    const [score] = await db.sql.query<{ effectiveness_score: number }>(`select effectiveness_score from story_effectiveness`);
    expect(score!.effectiveness_score).toBeGreaterThan(0.5);
    expect(await curator.handler(scheduledEvent('story_scoring', at))).toMatchObject({ status: 'skipped', reason: 'completed' });
  });
});

describe('data retention', () => {
  it('archives executions and emails older than 90 days, except those on legal hold', async () => {
    const at = new Date('2026-11-22T02:00:00Z');
    await db.sql.query(
      `with old as (
         insert into pipeline_executions (pipeline_type, pipeline_name, subject_key, period_key, user_id, status, completed_at, created_at)
         select 'daily_digest', 'daily-digest', u::text, 'old-' || u, u, 'succeeded', $2::timestamptz - interval '100 days', $2::timestamptz - interval '100 days'
         from unnest($1::uuid[]) u returning id, user_id, created_at)
       insert into email_delivery_log (execution_id, user_id, email_type, status, queued_at, sent_at, created_at)
       select id, user_id, 'daily_digest', 'delivered', created_at, created_at, created_at from old`,
      [users, at],
    );
    await db.sql.query(`insert into legal_holds (user_id, reason, placed_by) values ($1, 'case 42', 'legal')`, [users[0]]);
    curator.clock.set(at);
    const summary = await curator.handler(scheduledEvent('data_retention', at));
    expect(summary).toMatchObject({ ok: true, status: 'succeeded', periodKey: '2026-W47', details: { executionsArchived: 5, emailsArchived: 5 } });
    const [left] = await db.sql.query(`select count(*)::int as n from pipeline_executions where period_key like 'old-%'`);
    expect(left).toEqual({ n: 1 });
  });
});

describe('health', () => {
  it('reports the database, the switches, the runs and every scheduled run that never started', async () => {
    curator.clock.set(new Date('2026-12-07T12:00:00Z'));
    const summary = await curator.handler({ detail: { jobType: 'health' } });
    expect(summary).toMatchObject({ ok: true, kind: 'health', status: 'failed' });
    const health = summary.ok && summary.kind === 'health' ? summary.health : undefined;
    expect(health).toMatchObject({ database: 'ok', switches: 'ok', status: 'unhealthy' });
    const missed = (health?.missedRuns as Array<{ job_type: string }>).map((run) => run.job_type).sort();
    // The org health report ran for 2026-12; everything else last fired without a run.
    expect(missed).toEqual(['daily_digest', 'data_retention', 'expire_credits', 'referral_rewards', 'story_scoring', 'weekly_insights']);
    expect(curator.metrics.total('MissedRuns', { pipelineType: 'daily_digest' })).toBe(1);
    expect(curator.mailer.sent.filter((email) => email.emailType === 'health')).toHaveLength(0);
    expect(curator.metrics.total('DatabaseUnreachable')).toBe(0);
  });

  it('counts a database it cannot read as DatabaseUnreachable, which pages (the guide: database unavailable)', async () => {
    const injected = faults();
    injected.fail('curator_recover', { times: 1, message: 'connect ECONNREFUSED 127.0.0.1:5432' });
    injected.fail('curator_health', { times: 1, message: 'connect ECONNREFUSED 127.0.0.1:5432' });
    const down = curatorHarness(db, { start: new Date('2026-12-07T12:00:00Z'), faults: injected });
    const summary = await down.handler({ detail: { jobType: 'health' } });
    const health = summary.ok && summary.kind === 'health' ? summary.health : undefined;
    expect(health).toMatchObject({ database: 'error', databaseError: expect.stringContaining('ECONNREFUSED'), status: 'unhealthy' });
    expect(down.metrics.total('DatabaseUnreachable')).toBe(1);
  });
});
