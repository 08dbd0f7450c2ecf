import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerPayments } from '../../src/adapters/local/ledger-payments.js';
import { opsSummaryEvent } from '../../src/events/curator-events.js';
import { alarms } from '../../src/metrics/alarms.js';
import { runOps } from '../../src/ops/cli.js';
import type { OpsSummaryFigures } from '../../src/store/rows.js';
import { curatorHarness, replayEvent, scheduledEvent, signalEvent, tallyOf, type Harness } from '../support/curator-harness.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { seedDigestPopulation } from '../support/population.js';

// Sunday 6 December 2026 is summarised on Monday the 7th, the first Monday of December: the monthly report is in it.
const sunday = new Date('2026-12-06T00:00:00Z');
const digestFiring = new Date('2026-12-06T20:00:00Z');
const firstMonday = new Date('2026-12-07T09:00:00Z');
const secondTuesday = new Date('2026-12-08T09:00:00Z');
const recipients = ['ops-team@storytailor.test', 'clinical-lead@storytailor.test'];

let db: TestDatabase;
let curator: Harness;
const crisis: string[] = [];
let earlyIntervention: string;

const count = async (table: string) => (await db.sql.query<{ n: number }>(`select count(*)::int as n from ${table}`))[0]!.n;

async function ops(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOps([...args, '--env', 'staging', '--actor', 'clinical-review'], {}, {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    sql: db.sql,
    payments: ledgerPayments(null),
    clock: curator.clock,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const crisisSignal = (n: number, userId: string) =>
  signalEvent({ signalId: `fp-crisis-${n}`, jobType: 'crisis_alert', userId, confidence: 0.99, signalCount: 1, eventTimestamp: new Date(curator.clock.now().getTime() - 60_000).toISOString(), context: { childId: `child-${n}` } });

beforeAll(async () => {
  db = await openTestDatabase();
  await seedDigestPopulation(db.sql, digestFiring, { engaged: 12, idle: 2, lukewarm: 2, optedOut: 2, suppressed: 1 });
  curator = curatorHarness(db, { start: new Date('2026-12-06T10:00:00Z'), config: { opsSummaryRecipients: recipients } });
  const users = await db.sql.query<{ id: string }>(`select id from users where email like 'engaged-%' order by id`);
  for (const [n, user] of users.slice(0, 4).entries()) {
    curator.clock.set(new Date(Date.parse('2026-12-06T10:00:00Z') + n * 600_000));
    tallyOf(await curator.handler(crisisSignal(n, user.id)));
  }
  curator.clock.set(new Date('2026-12-06T12:00:00Z'));
  await curator.handler(
    signalEvent({ signalId: 'fp-early', jobType: 'early_intervention', userId: users[5]!.id, confidence: 0.9, signalCount: 4, eventTimestamp: '2026-12-06T11:55:00Z' }),
  );
  crisis.push(...(await db.sql.query<{ id: string }>(`select id from pipeline_executions where pipeline_type = 'crisis_alert' and status = 'succeeded' order by created_at`)).map((row) => row.id));
  [{ id: earlyIntervention }] = await db.sql.query<{ id: string }>(`select id from pipeline_executions where pipeline_type = 'early_intervention'`) as [{ id: string }];
  curator.clock.set(new Date(digestFiring.getTime() + 1_000));
  tallyOf(await curator.handler(scheduledEvent('daily_digest', digestFiring)));
  // SendGrid's report on the evening: the first four digests delivered, two opened, one unsubscribed.
  await db.sql.query(
    `update email_delivery_log l set delivered_at = l.sent_at + interval '5 seconds',
       opened_at = case when n.rank <= 2 then l.sent_at + interval '10 minutes' end,
       unsubscribed_at = case when n.rank = 3 then l.sent_at + interval '20 minutes' end
     from (select id, row_number() over (order by id) as rank from email_delivery_log where email_type = 'daily_digest') n
     where n.id = l.id and n.rank <= 4`,
  );
  await db.sql.query(
    `insert into human_overrides (pipeline_type, override_type, actor, reason, occurred_at)
     values ('weekly_insights', 'kill_switch_disable', 'ops-oncall', 'insights template under review', '2026-12-05T08:00:00Z'),
            ('daily_digest', 'breaker_disable', 'curator', 'complaint breaker: 12 unsubscribes and spam reports', '2026-12-06T21:00:00Z'),
            ('daily_digest', 'kill_switch_enable', 'ops-oncall', 'template fixed', '2026-12-06T22:00:00Z')`,
  );
  curator.switches.set('weekly-insights/enabled', 'false');
  curator.switches.set('daily-digest/min-confidence', '0.6');
});
afterAll(async () => {
  await db?.close();
});

describe('false positives, as the clinical review records them', () => {
  it('marks an alert that went out by execution id or signalId, refuses twice, and undoes', async () => {
    curator.clock.set(new Date('2026-12-06T23:00:00Z'));
    const marked = await ops(['false-positive', crisis[0]!, '--reason', 'role-play in a story', '--ticket', 'CLIN-1']);
    expect(marked).toMatchObject({ code: 0, out: expect.stringContaining('marked a false positive') });
    expect((await ops(['false-positive', 'fp-crisis-1', '--reason', 'the child was quoting a film'])).code).toBe(0);
    const twice = await ops(['false-positive', crisis[0]!, '--reason', 'again']);
    expect(twice).toMatchObject({ code: 1, err: expect.stringContaining('already marked') });
    expect((await ops(['false-positive', 'fp-crisis-1', '--undo', '--reason', 'second review: it was real'])).code).toBe(0);
    expect((await ops(['false-positive', 'fp-crisis-1', '--undo', '--reason', 'again'])).err).toContain('not marked');
    expect((await ops(['false-positive', earlyIntervention, '--reason', 'a bad week, not a pattern'])).code).toBe(0);
    expect((await ops(['false-positive', 'no-such-signal', '--reason', 'x'])).code).toBe(1);
    expect((await ops(['false-positive', crisis[0]!])).code).toBe(2);

    const rows = await db.sql.query<{ execution_id: string; override_type: string; details: { undone: boolean }; ticket: string | null }>(
      `select execution_id, override_type, details, ticket from human_overrides where override_type = 'false_positive' order by occurred_at, seq`,
    );
    expect(rows.map((row) => [row.execution_id, row.details.undone])).toEqual([
      [crisis[0], false],
      [crisis[1], false],
      [crisis[1], true],
      [earlyIntervention, false],
    ]);
    expect(rows[0]!.ticket).toBe('CLIN-1');
  });

  it('refuses a vetoed alert and a pipeline the clinical team does not review', async () => {
    const [vetoed] = await db.sql.query<{ id: string }>(`select id from pipeline_executions where pipeline_type = 'daily_digest' and vetoed limit 1`);
    expect((await ops(['false-positive', vetoed!.id, '--reason', 'x'])).err).toContain('not a crisis alert or an early intervention');
  });

  it('gives the rate per pipeline over 30 days: one of four crisis alerts, one of one early intervention', async () => {
    const shown = await ops(['false-positives', '--json']);
    expect(JSON.parse(shown.out).rates).toEqual([
      { pipeline_type: 'crisis_alert', alerts: 4, false_positives: 1, rate_percent: 25 },
      { pipeline_type: 'early_intervention', alerts: 1, false_positives: 1, rate_percent: 100 },
    ]);
    expect((await ops(['false-positives'])).out).toMatch(/crisis_alert\s+4\s+1\s+25\.0 %\s+< 10 %\s+ABOVE/);
    // The runbook's query by hand says the same (its NOW() is the real clock: the alerts are of 6 December 2026).
    const runbook = readFileSync(new URL('../../runbooks/database-queries.md', import.meta.url), 'utf8');
    const query = /## False-positive rate per pipeline[\s\S]*?```sql\n([\s\S]*?)```/.exec(runbook)![1]!.replace("NOW() - INTERVAL '30 days'", "TIMESTAMPTZ '2026-11-07'");
    expect(await db.sql.query<{ pipeline_type: string; alerts: number; false_positives: number; rate_percent: string }>(query)).toEqual([
      { pipeline_type: 'crisis_alert', alerts: 4, false_positives: 1, rate_percent: expect.anything() },
      { pipeline_type: 'early_intervention', alerts: 1, false_positives: 1, rate_percent: expect.anything() },
    ]);
  });
});

describe('the morning ops summary', () => {
  let figures: OpsSummaryFigures;

  it('runs in its own function: the curator refuses it, naming that function', async () => {
    expect(await curator.handler(opsSummaryEvent('2026-12-06T09:00:00Z'))).toEqual({
      ok: false,
      error: 'detail.jobType: ops_summary runs in its own function, storytailor-ops-summary-staging, which its Scheduler schedule invokes',
    });
    expect(await curator.opsSummary({ detail: { jobType: 'health' } })).toEqual({ ok: false, error: 'detail.jobType: this function runs the morning ops summary only, not health' });
  });

  it('refuses a summary asked for by the app, or dated ahead of the clock, and leaves the day to the Scheduler', async () => {
    curator.clock.set(new Date('2026-12-06T23:30:00Z'));
    const fromTheApp = { source: 'storytailor.agent', 'detail-type': 'Emotional Signal', ...opsSummaryEvent(firstMonday.toISOString()) };
    expect(await curator.opsSummary(fromTheApp)).toEqual({ ok: false, error: 'source: ops_summary is asked for only by a direct invocation, not by storytailor.agent' });
    expect(await curator.opsSummary(opsSummaryEvent(firstMonday.toISOString()))).toMatchObject({ ok: false, error: expect.stringMatching(/^detail\.scheduledTime: 2026-12-07T09:00:00\.000Z is later than/) });
    expect(await curator.opsSummary(opsSummaryEvent('2099-01-01T09:00:00Z'))).toMatchObject({ ok: false, error: expect.stringMatching(/^detail\.scheduledTime: /) });
    // Nothing mailed, nothing claimed: the real 09:00 delivery below sends the day's summary.
    expect(curator.mailer.contentSent).toHaveLength(0);
    expect(await count('ops_summaries')).toBe(0);
  });

  it('sends one email for the day, with the first Monday report, and publishes the FalsePositiveRate the alarms read', async () => {
    const logged = await count('email_delivery_log');
    curator.clock.set(new Date(firstMonday.getTime() + 2_000));
    const result = await curator.opsSummary(opsSummaryEvent(firstMonday.toISOString()));
    expect(result).toMatchObject({ ok: true, kind: 'ops_summary', status: 'succeeded', summaryDate: '2026-12-06', monthly: true });
    expect(curator.mailer.contentSent).toHaveLength(1);
    const [email] = curator.mailer.contentSent;
    expect(email!.to).toEqual(recipients);
    expect(email!.category).toBe('ops_summary');
    expect(email!.subject).toMatch(/^Storytailor staging ops summary 2026-12-06 \+ monthly ops health report: \d+ needs? attention$/);
    // The monthly report's trends as PNG images inline, each shown by its content id.
    const images = email!.inlineImages ?? [];
    // Twelve digests are too few for a rate line (20 deliveries a day), and no credit moved: the volume and veto trends.
    expect(images.map((image) => image.contentId)).toEqual(['emails-by-day', 'veto-rate']);
    for (const image of images) {
      expect([...image.png.slice(0, 8)], image.contentId).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(image.png.length, image.contentId).toBeGreaterThan(10_000);
      expect(email!.html).toContain(`src="cid:${image.contentId}"`);
    }
    expect(await count('email_delivery_log')).toBe(logged);

    for (const pipelineType of ['crisis_alert', 'early_intervention'] as const) {
      const points = curator.metrics.points.filter((point) => point.name === 'FalsePositiveRate' && point.pipelineType === pipelineType);
      expect(points.map((point) => [point.value, point.unit])).toEqual([[pipelineType === 'crisis_alert' ? 25 : 100, 'Percent']]);
      const alarm = alarms.find((entry) => entry.kind === 'metric' && 'dimensions' in entry.metric && entry.metric.name === 'FalsePositiveRate' && entry.metric.dimensions.PipelineType === pipelineType);
      expect(alarm, pipelineType).toBeDefined();
      expect(points[0]!.value).toBeGreaterThan(alarm!.threshold as number);
    }
    [{ figures }] = (await db.sql.query<{ figures: OpsSummaryFigures }>(`select figures from ops_summaries where summary_date = '2026-12-06'`)) as [{ figures: OpsSummaryFigures }];
  });

  it('sends nothing more when the schedule is redelivered', async () => {
    const again = await curator.opsSummary(opsSummaryEvent(firstMonday.toISOString()));
    expect(again).toMatchObject({ ok: true, status: 'skipped', reason: 'the summary of 2026-12-06 is sent' });
    expect(curator.mailer.contentSent).toHaveLength(1);
    expect(await db.sql.query(`select status, attempts, recipients from ops_summaries`)).toEqual([{ status: 'sent', attempts: 1, recipients: 2 }]);
  });

  it('says what the tables say: runs, email by type, vetoes, credits, escalations and the monthly figures', async () => {
    const email = await db.sql.query(`select * from email_performance_daily where day = '2026-12-06' order by email_type`);
    expect(figures.email).toEqual(email.map(({ day: _day, ...row }) => JSON.parse(JSON.stringify(row))));
    const digest = figures.email.find((row) => row.email_type === 'daily_digest')!;
    expect(digest).toMatchObject({ delivered: 4, opened: 2, unsubscribed: 1, open_rate: 50 });
    const [run] = await db.sql.query<{ candidates: number; executed: number; vetoed: number }>(`select candidates, executed, vetoed from pipeline_runs where job_type = 'daily_digest'`);
    expect(figures.runs.find((entry) => entry.job_type === 'daily_digest')).toMatchObject({ status: 'succeeded', ...run });
    // Every job that fires on a Sunday but the digest had its 6 December firing in the window and never ran here.
    expect(figures.missed.map((missed) => missed.job_type).sort()).toEqual(['data_retention', 'expire_credits', 'referral_rewards', 'story_scoring', 'weekly_insights']);
    const vetoes = await db.sql.query<{ pipeline_type: string; veto_reason: string; count: number }>(
      `select pipeline_type, veto_reason, count(*)::int as count from pipeline_executions
       where vetoed and created_at >= '2026-12-06' and created_at < '2026-12-07' group by 1, 2 order by 3 desc, 1, 2`,
    );
    expect(figures.vetoes).toEqual(vetoes);
    expect(figures.crisis_escalations).toBe(0);
    expect(figures.breaker_trips).toEqual([expect.objectContaining({ pipeline_type: 'daily_digest' })]);
    expect(figures.false_positives.map((rate) => rate.rate_percent)).toEqual([25, 100]);
    const executions = await db.sql.query<{ pipeline_type: string; status: string; count: number }>(
      `select pipeline_type, status, count(*)::int as count from pipeline_executions group by 1, 2 order by 1, 2`,
    );
    expect(figures.monthly!.executions).toEqual(executions);
    const patterns = await db.sql.query<{ pipeline_type: string; override_type: string; count: number }>(
      `select pipeline_type, override_type, count(*)::int as count from human_overrides
       where occurred_at > '2026-11-07' group by 1, 2 order by 3 desc, 1, 2`,
    );
    expect(figures.monthly!.override_patterns).toEqual(patterns);
    expect(figures.monthly!.email.find((row) => row.email_type === 'daily_digest')).toMatchObject({ delivered: 4, opened: 2, unsubscribed: 1, open_rate: 50, unsubscribe_rate: 25 });

    const { text, html } = curator.mailer.contentSent[0]!;
    // sent, delivered, opened, clicked, unsubscribed, bounced, spam, open rate, click rate, unsubscribe rate, bounce rate
    expect(text).toMatch(new RegExp(`daily_digest\\s+${digest.sent}\\s+4\\s+2\\s+0\\s+1\\s+0\\s+0\\s+50 %\\s+0 %\\s+25 %\\s+\\S+ %\\s+fewer than 100 delivered`));
    expect(text).toContain('expire_credits 2026-12-06 never started (MissedRuns) → runbooks/monitoring.md#storytailor-missed-runs');
    // The Morning Checklist: the overnight jobs (the digest of Sunday 20:00 ran; Monday's 01:00-04:00 jobs had not, in this run).
    expect(text).toMatch(/## Overnight jobs \(Morning Checklist\)\n.*\ndaily_digest\s+2026-12-06\s+succeeded/);
    expect(text).toContain('referral_rewards 2026-12-07 has not started (an overnight job of the Morning Checklist) → runbooks/monitoring.md#storytailor-missed-runs');
    expect(text).toContain('Not read: not in Lambda (a local run): no AWS/Lambda metrics to read.');
    // Monday: the Weekly Checklist; the first Monday: the monthly report with the milestone bonus rate.
    expect(text).toContain('## Weekly: SLA compliance');
    expect(text).toMatch(/^crisis_alert\s+4\s+0\s+0 %/m);
    expect(text).toContain('## Weekly: email volume by day');
    expect(text).toContain('## Monthly: milestone bonus rate');
    expect(figures.weekly!.volume.reduce((sum, day) => sum + day.emails_sent, 0)).toBe(await count('email_delivery_log where sent_at is not null'));
    expect(figures.monthly!.milestone_bonus).toEqual({ families: 0, active_families: expect.any(Number), rate: 0 });
    expect(text).toContain('complaint breaker turned off daily_digest at 2026-12-06 21:00 UTC');
    expect(text).toMatch(/weekly-insights is OFF since 2026-12-05 08:00 UTC \(ops-oncall\): more than a day \(config drift\)/);
    expect(text).toContain('daily-digest/min-confidence = 0.6');
    expect(text).toContain('crisis_alert false-positive rate 25 % is above 10 %: escalate to engineering');
    expect(text).toContain('## Monthly: human override patterns');
    expect(html).toContain('<h3>Monthly: false-positive rates (alerts sent in the 30 days)</h3>');
    expect(`${text}${html}`).not.toMatch(/engaged-|@families|storytailor\.test/);
  });

  it('leaves the monthly report to the first Monday, and is stopped by its own switch only', async () => {
    curator.switches.set('all/enabled', 'false');
    curator.clock.set(new Date(secondTuesday.getTime() + 2_000));
    const tuesday = await curator.opsSummary(opsSummaryEvent(secondTuesday.toISOString()));
    expect(tuesday).toMatchObject({ status: 'succeeded', summaryDate: '2026-12-07', monthly: false });
    expect(curator.mailer.contentSent[1]!.text).not.toContain('Monthly');
    expect(curator.mailer.contentSent[1]!.text).toContain('all is OFF');

    curator.switches.set('ops-summary/enabled', 'false');
    const wednesday = new Date('2026-12-09T09:00:00Z');
    curator.clock.set(new Date(wednesday.getTime() + 2_000));
    expect(await curator.opsSummary(opsSummaryEvent(wednesday.toISOString()))).toMatchObject({ status: 'skipped', reason: 'ops-summary/enabled is false' });
    expect(curator.mailer.contentSent).toHaveLength(2);
    expect(await count('ops_summaries')).toBe(2);
    curator.switches.set('ops-summary/enabled', 'true');
    curator.switches.set('all/enabled', 'true');
  });

  it('reports a replay beside the firing it replays: the firing\'s day keeps the firing, the replay\'s day lists the replay', async () => {
    const thursday = new Date('2026-12-10T09:00:00Z');
    curator.clock.set(new Date('2026-12-09T10:00:00Z'));
    expect(await curator.handler(replayEvent({ jobType: 'daily_digest', periodKey: '2026-12-06' }, 'replay-of-sunday'))).toMatchObject({ ok: true, status: 'succeeded' });

    curator.clock.set(new Date(thursday.getTime() + 2_000));
    expect(await curator.opsSummary(opsSummaryEvent(thursday.toISOString()))).toMatchObject({ status: 'succeeded', summaryDate: '2026-12-09' });
    const text = curator.mailer.contentSent.at(-1)!.text;
    expect(text).toMatch(/## Replays/);
    expect(text).toMatch(/daily_digest\s+2026-12-06\s+2026-12-09 10:00\s+replay-of-sunday\s+succeeded\s+\d+\s+0\s+/);

    // Sunday's figures, asked again: the digest is still the firing's, started on Sunday, flagged as replayed.
    const [row] = await db.sql.query<{ figures: OpsSummaryFigures }>(
      `select public.curator_ops_summary('2026-12-06T00:00:00Z', '2026-12-07T00:00:00Z', '[]'::jsonb, false, now()) as figures`,
    );
    const digest = row!.figures.runs.find((run) => run.job_type === 'daily_digest' && run.period_key === '2026-12-06');
    expect(digest).toMatchObject({ trigger: 'schedule', status: 'succeeded', executed: figures.runs.find((run) => run.job_type === 'daily_digest')!.executed, replays: 1 });
  });

  it('has the health job count the morning email missing after 09:30 UTC until it is sent, and not while its switch is off', async () => {
    const missing = () => curator.metrics.points.filter((point) => point.name === 'OpsSummaryMissing').map((point) => point.value);
    const before = missing().length;
    const health = async (at: string) => {
      curator.clock.set(new Date(at));
      return curator.handler({ detail: { jobType: 'health' } });
    };
    expect(await health('2026-12-11T09:20:00Z')).toMatchObject({ health: { opsSummary: 'not due until 9:30 UTC' } });
    expect(missing()).toHaveLength(before);
    expect(await health('2026-12-11T09:31:00Z')).toMatchObject({ health: { opsSummary: '2026-12-10: never claimed' } });
    expect(missing().slice(before)).toEqual([1]);
    curator.switches.set('ops-summary/enabled', 'false');
    expect(await health('2026-12-11T09:46:00Z')).toMatchObject({ health: { opsSummary: 'ops-summary is off' } });
    expect(missing().slice(before)).toEqual([1]);
    curator.switches.set('ops-summary/enabled', 'true');
    curator.clock.set(new Date('2026-12-11T09:50:00Z'));
    expect(await curator.opsSummary(opsSummaryEvent('2026-12-11T09:00:00Z'))).toMatchObject({ status: 'succeeded', summaryDate: '2026-12-10' });
    expect(await health('2026-12-11T10:01:00Z')).toMatchObject({ health: { opsSummary: '2026-12-10: sent' } });
    expect(missing().slice(before)).toEqual([1, 0]);
  });

  it('refuses a malformed request naming the field', async () => {
    expect(await curator.opsSummary({ detail: { jobType: 'ops_summary', scheduledTime: 'yesterday' } })).toMatchObject({ ok: false, error: expect.stringContaining('detail.scheduledTime') });
  });
});
