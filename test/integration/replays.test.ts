import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runOps } from '../../src/ops/cli.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { curatorHarness, replayEvent, scheduledEvent, type Harness, tallyOf } from '../support/curator-harness.js';
import { executionsBySubject, seedDigestPopulation, type DigestPopulation } from '../support/population.js';

const firing = new Date('2026-11-23T20:00:00Z');
const periodKey = '2026-11-23';

let db: TestDatabase;
let population: DigestPopulation;
let curator: Harness;

beforeEach(async () => {
  db = await openTestDatabase();
  population = await seedDigestPopulation(db.sql, firing, { engaged: 12, idle: 2, lukewarm: 1, optedOut: 1, suppressed: 1 });
  curator = curatorHarness(db, { start: new Date(firing.getTime() + 1_000), pageSize: 5 });
});
afterEach(async () => {
  await db?.close();
});

describe('a replay of a period whose firing is not yet due', () => {
  it('is refused before anything is written, and the real firing then runs the period', async () => {
    const early = curatorHarness(db, { start: new Date('2026-11-23T12:00:00Z'), pageSize: 5 });
    const refused = await early.handler(replayEvent({ jobType: 'daily_digest', periodKey }, 'replay-ahead'));
    expect(refused).toEqual({ ok: false, error: expect.stringMatching(/^detail\.periodKey: 2026-11-23 of daily_digest is not due until its firing at 2026-11-23T20:00:00\.000Z/) });
    expect(await db.sql.query(`select count(*)::int as n from pipeline_runs`)).toEqual([{ n: 0 }]);
    // A dry run may look ahead: it writes nothing but its report.
    expect(await early.handler(replayEvent({ jobType: 'daily_digest', periodKey, dryRun: true }, 'dry-ahead'))).toMatchObject({ ok: true, status: 'dry_run', runId: null });
    expect(await db.sql.query(`select count(*)::int as n from pipeline_runs`)).toEqual([{ n: 0 }]);

    early.clock.set(new Date(firing.getTime() + 1_000));
    const fired = await early.handler(scheduledEvent('daily_digest', firing));
    expect(fired).toMatchObject({ ok: true, status: 'succeeded' });
    expect(tallyOf(fired).executed).toBe(12);
  });
});

describe('a replay is an attempt of its period, never a rewrite of it', () => {
  async function ops(args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runOps([...args, '--env', 'staging'], {}, { out: (line) => out.push(line), err: (line) => err.push(line), sql: db.sql, clock: curator.clock });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }
  const runOfPeriod = async () =>
    (await db.sql.query<Record<string, unknown>>(
      `select trigger, started_at, event_id, candidates, executed, skipped, vetoed, status, replay_counts from pipeline_runs where period_key = $1`,
      [periodKey],
    ))[0]!;

  it('leaves the firing\'s trigger, start, event and counts as they were, and counts the replay apart', async () => {
    const fired = await curator.handler(scheduledEvent('daily_digest', firing, 'evt-firing'));
    expect(tallyOf(fired).executed).toBe(12);
    const before = await runOfPeriod();
    expect(before).toMatchObject({ trigger: 'schedule', event_id: 'evt-firing', candidates: 17, executed: 12, vetoed: 5, replay_counts: null });

    curator.clock.advance(3_600_000);
    const replayed = await curator.handler(replayEvent({ jobType: 'daily_digest', periodKey }, 'replay-of-the-period'));
    expect(replayed).toMatchObject({ ok: true, status: 'succeeded' });
    expect(tallyOf(replayed).executed).toBe(0);
    const after = await runOfPeriod();
    expect(after).toMatchObject({ trigger: 'schedule', started_at: before.started_at, event_id: 'evt-firing', candidates: 17, executed: 12, vetoed: 5, status: 'succeeded' });
    expect(after.replay_counts).toMatchObject({ candidates: 17, executed: 0 });
    // The same replay event delivered again is the same attempt: it exits.
    expect(await curator.handler(replayEvent({ jobType: 'daily_digest', periodKey }, 'replay-of-the-period'))).toMatchObject({ status: 'skipped', reason: 'completed' });
    expect(curator.mailer.sent).toHaveLength(12);

    const listed = await ops(['runs', '--since', '2h']);
    expect(listed.out).toMatch(/daily_digest\s+2026-11-23\s+succeeded\s+17\s+12\s+5\s+0\s+\S+ s\s+0\s+1x, last: executed 0, vetoed 0, failed 0/);
    const shown = await ops(['run', `daily_digest:${periodKey}`]);
    expect(shown.out).toMatch(/^ {2}fired \S+ \S+, finished .*attempt 2$/m);
    expect(shown.out).toMatch(/^ {2}the firing decided 17: executed 12, skipped 0, vetoed 5, failed 0, escalated 0$/m);
    expect(shown.out).toMatch(/^ {2}REPLAYED \S+ \S+ \(event replay-of-the-period\): decided 17: executed 0, /m);
  });

  it('ops run of the period shows the decisions where they stand and the replay of held actions beside the firing', async () => {
    curator.switches.set('daily-digest/enabled', 'false');
    await curator.handler(scheduledEvent('daily_digest', firing));
    curator.switches.set('daily-digest/enabled', 'true');
    curator.clock.advance(30 * 60_000);
    const held = { jobType: 'daily_digest', vetoReason: 'KILL_SWITCH_ACTIVE', from: '2026-11-23T00:00:00Z', to: '2026-11-23T20:30:00Z' };
    expect(tallyOf(await curator.handler(replayEvent(held, 'replay-held'))).executed).toBe(12);

    const shown = await ops(['run', `daily_digest:${periodKey}`]);
    expect(shown.code).toBe(0);
    // The firing as it was: every family held by the switch.
    expect(shown.out).toMatch(/^ {2}the firing decided 17: executed 0, skipped 0, vetoed 17, failed 0, escalated 0$/m);
    // The period as it stands now: the twelve sent by the replay are the period's decisions too.
    expect(shown.out).toMatch(/^decisions of the period as they stand/m);
    expect(shown.out).toMatch(/^ {2}succeeded\s+12$/m);
    expect(shown.out).not.toMatch(/^ {2}vetoed\s+KILL_SWITCH_ACTIVE/m);
    expect(shown.out).toMatch(/^replays of held actions that decided some of this period again$/m);
    expect(shown.out).toMatch(/\(replay:KILL_SWITCH_ACTIVE:2026-11-23T00:00:00.000Z\/2026-11-23T20:30:00.000Z\)\s+replay-held\s+succeeded\s+.*succeeded 12/);
  });
});

describe('two deliveries of the same firing at once', () => {
  it('act once: one run takes the period, the other exits', async () => {
    const other = curatorHarness(db, { start: new Date(firing.getTime() + 1_000), pageSize: 5 });
    const [first, second] = await Promise.all([
      curator.handler(scheduledEvent('daily_digest', firing), { awsRequestId: 'invocation-a' }),
      other.handler(scheduledEvent('daily_digest', firing), { awsRequestId: 'invocation-b' }),
    ]);
    const statuses = [first, second].map((summary) => summary.ok && summary.status).sort();
    expect(statuses).toEqual(['skipped', 'succeeded']);
    expect(curator.mailer.sent.length + other.mailer.sent.length).toBe(12);
    const rows = await executionsBySubject(db.sql, 'daily_digest', periodKey);
    expect(rows.every((row) => row.n === 1)).toBe(true);
  });
});

describe('a kill switch flipped off, then on, then a replay of what it held', () => {
  it('vetoes the whole digest while off and sends exactly what was held after the replay', async () => {
    curator.switches.set('daily-digest/enabled', 'false');
    const held = await curator.handler(scheduledEvent('daily_digest', firing));
    expect(tallyOf(held)).toMatchObject({ executed: 0, vetoed: { KILL_SWITCH_ACTIVE: 17 } });
    expect(curator.mailer.sent).toHaveLength(0);

    curator.switches.set('daily-digest/enabled', 'true');
    curator.clock.advance(30 * 60_000);
    const held24h = { jobType: 'daily_digest', vetoReason: 'KILL_SWITCH_ACTIVE', from: '2026-11-23T00:00:00Z', to: '2026-11-23T20:30:00Z' };
    const replay = await curator.handler(replayEvent(held24h, 'replay-event-1'));
    expect(replay).toMatchObject({ ok: true, status: 'succeeded' });
    // Every held action goes through every check again: the opted-out and the idle are still held back.
    expect(tallyOf(replay)).toMatchObject({ executed: 12, vetoed: { INSUFFICIENT_SIGNAL: 2, LOW_CONFIDENCE: 1, USER_OPTED_OUT: 2 } });
    expect(new Set(curator.mailer.sent.map((email) => email.userId))).toEqual(new Set(population.engaged));

    // The same replay event delivered twice exits; an operator running it again finds nothing left held.
    expect(await curator.handler(replayEvent(held24h, 'replay-event-1'))).toMatchObject({ status: 'skipped', reason: 'completed' });
    const rerun = await curator.handler(replayEvent(held24h, 'replay-event-2'));
    expect(tallyOf(rerun).executed).toBe(0);
    expect(curator.mailer.sent).toHaveLength(12);
    const rows = await executionsBySubject(db.sql, 'daily_digest', periodKey);
    expect(rows).toHaveLength(17);
    expect(rows.every((row) => row.n === 1 && row.veto_reason !== 'KILL_SWITCH_ACTIVE')).toBe(true);
  });

  it('stops a long run at the next page once the switch is off', async () => {
    let pages = 0;
    const send = curator.mailer.send.bind(curator.mailer);
    curator.mailer.send = async (emails) => {
      pages += 1;
      if (pages === 1) curator.switches.set('all/enabled', 'false');
      return send(emails);
    };
    const summary = await curator.handler(scheduledEvent('daily_digest', firing));
    expect(tallyOf(summary).executed).toBeGreaterThan(0);
    expect(tallyOf(summary).executed).toBeLessThan(12);
    expect(tallyOf(summary).vetoed.KILL_SWITCH_ACTIVE).toBeGreaterThan(0);
  });

  it('vetoes email when the switches were never read, and says so in the logs', async () => {
    curator.deps.switches.read = async () => ({ parameters: null, stale: false });
    const summary = await curator.handler(scheduledEvent('daily_digest', firing));
    expect(tallyOf(summary).vetoed.KILL_SWITCH_ACTIVE).toBe(17);
    expect(curator.logger.lines.some((line) => line.level === 'WARN' && String(line.message).includes('unreadable'))).toBe(true);
  });
});

describe('a replay after failed sends', () => {
  it('sends only what failed, and never what succeeded', async () => {
    const failing = new Set(population.engaged.slice(0, 4));
    curator.mailer.failWith = (email) => (failing.has(email.userId) ? 'failed' : null);
    const first = await curator.handler(scheduledEvent('daily_digest', firing));
    expect(tallyOf(first)).toMatchObject({ executed: 8, failed: 4 });
    const [failedRows] = await db.sql.query<{ n: number }>(
      `select count(*)::int as n from email_delivery_log where status = 'failed' and error = 'injected failed'`,
    );
    expect(failedRows!.n).toBe(4);
    expect(curator.metrics.total('EmailDeliveryFailure')).toBe(4);
    expect(curator.logger.lines.filter((line) => line.level === 'ERROR' && line.status === 'failed')).toHaveLength(4);

    curator.mailer.failWith = null;
    const sentBefore = curator.mailer.sent.length;
    const replay = await curator.handler(replayEvent({ jobType: 'daily_digest', periodKey }));
    expect(tallyOf(replay)).toMatchObject({ executed: 4, skipped: 8 });
    expect(curator.mailer.sent.slice(sentBefore).map((email) => email.userId).sort()).toEqual([...failing].sort());
    const rows = await executionsBySubject(db.sql, 'daily_digest', periodKey);
    expect(rows.filter((row) => row.status === 'succeeded')).toHaveLength(12);
  });

  it('does not resend a digest whose outcome is unknown (at most once)', async () => {
    const lost = population.engaged[0]!;
    curator.mailer.failWith = (email) => (email.userId === lost ? 'unknown' : null);
    await curator.handler(scheduledEvent('daily_digest', firing));
    curator.mailer.failWith = null;
    const replay = await curator.handler(replayEvent({ jobType: 'daily_digest', periodKey }));
    expect(tallyOf(replay).executed).toBe(0);
    expect(curator.mailer.sent.filter((email) => email.userId === lost)).toHaveLength(0);
    const [row] = await db.sql.query(
      `select e.status, l.status as email_status from pipeline_executions e join email_delivery_log l on l.execution_id = e.id where e.user_id = $1`,
      [lost],
    );
    expect(row).toEqual({ status: 'unknown', email_status: 'queued' });
  });
});

describe('frequency caps across pipelines', () => {
  it('holds a third non-critical email in 24 hours', async () => {
    const user = population.engaged[0]!;
    await db.sql.query(
      `insert into email_delivery_log (user_id, email_type, status, queued_at, sent_at, created_at)
       values ($1, 'early_intervention', 'sent', $2::timestamptz - interval '2 hours', $2::timestamptz - interval '2 hours', $2::timestamptz - interval '2 hours'),
              ($1, 'story_failure', 'queued', $2::timestamptz - interval '1 hour', null, $2::timestamptz - interval '1 hour')`,
      [user, firing],
    );
    const summary = await curator.handler(scheduledEvent('daily_digest', firing));
    expect(tallyOf(summary).vetoed.FREQUENCY_CAP).toBe(1);
    expect(curator.mailer.sent.map((email) => email.userId)).not.toContain(user);
  });
});

describe('a dry run', () => {
  it('writes and sends nothing, and reports beside the last real run', async () => {
    await curator.handler(scheduledEvent('daily_digest', firing));
    const before = await db.sql.query(`select count(*)::int as n from pipeline_executions`);
    curator.switches.set('daily-digest/min-confidence', '0.99');
    const dry = await curator.handler(replayEvent({ jobType: 'daily_digest', periodKey: '2026-11-24', dryRun: true }));
    expect(dry).toMatchObject({ ok: true, status: 'dry_run', runId: null });
    expect(dry.ok && dry.status === 'dry_run' && dry.lastRealRun).toMatchObject({ period_key: periodKey, executed: 12, veto_reasons: { USER_OPTED_OUT: 2 } });
    expect(await db.sql.query(`select count(*)::int as n from pipeline_executions`)).toEqual(before);
    expect(curator.mailer.sent).toHaveLength(12);
  });
});

describe('the spend guard on email', () => {
  it('sends no more than the per-run ceiling and vetoes the rest with BUDGET_EXCEEDED', async () => {
    curator.switches.set('all/emails-per-run-ceiling', '7');
    const summary = await curator.handler(scheduledEvent('daily_digest', firing));
    expect(tallyOf(summary)).toMatchObject({ executed: 7, vetoed: { BUDGET_EXCEEDED: 5 } });
    expect(curator.mailer.sent).toHaveLength(7);
    expect(curator.metrics.total('BudgetExceeded', { pipelineType: 'daily_digest' })).toBe(5);
  });

  it('holds the per-run ceiling across every page of a replay of held actions', async () => {
    curator.switches.set('daily-digest/enabled', 'false');
    await curator.handler(scheduledEvent('daily_digest', firing));
    curator.switches.set('daily-digest/enabled', 'true');
    curator.switches.set('all/emails-per-run-ceiling', '7');
    curator.clock.advance(30 * 60_000);
    // 17 held families in pages of 5: the replay's fourth page must still count the emails of the first three.
    const replay = await curator.handler(
      replayEvent({ jobType: 'daily_digest', vetoReason: 'KILL_SWITCH_ACTIVE', from: '2026-11-23T00:00:00Z', to: '2026-11-23T20:30:00Z' }),
    );
    expect(tallyOf(replay)).toMatchObject({ executed: 7, vetoed: { BUDGET_EXCEEDED: 5 } });
    expect(curator.mailer.sent).toHaveLength(7);
  });
});
