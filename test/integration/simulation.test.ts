import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/adapters/clock.js';
import { memoryLogger } from '../../src/adapters/json-logger.js';
import { ledgerPayments } from '../../src/adapters/local/ledger-payments.js';
import { memoryMetrics } from '../../src/adapters/local/metrics.js';
import { outboxMailer } from '../../src/adapters/local/outbox-mailer.js';
import { memorySwitches } from '../../src/adapters/local/switches.js';
import { vetoReasonsInOrder } from '../../src/curator/verdict.js';
import { createOpsSummaryHandler } from '../../src/handlers/ops-summary.js';
import { createCuratorHandler } from '../../src/handlers/curator.js';
import { createSendGridWebhookHandler } from '../../src/handlers/sendgrid-webhook.js';
import { complaintSpiker, emailReporter } from '../../src/local/sendgrid-events.js';
import { checkQuietHours, countOutbox, formatReport, reviewLoop, type QuietHoursCheck, type ReviewLoop } from '../../src/local/report.js';
import { resolvePolicy } from '../../src/curator/policy.js';
import { seedPopulation, type SeededPopulation } from '../../src/local/seed-population.js';
import { runSimulation, type SimulationResult } from '../../src/local/simulation.js';
import { jobTypes } from '../../src/pipelines/index.js';
import { CuratorStore } from '../../src/store/curator-store.js';
import { sqlTransport } from '../../src/store/sql-transport.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';

const start = new Date('2026-11-28T00:00:00Z');
let db: TestDatabase;
let outboxDir: string;
let result: SimulationResult;
let population: SeededPopulation;
const metrics = memoryMetrics();
let review: ReviewLoop;
let quietHours: QuietHoursCheck;

beforeAll(async () => {
  db = await openTestDatabase();
  outboxDir = mkdtempSync(join(tmpdir(), 'curator-outbox-'));
  const clock = manualClock(start);
  const switches = memorySwitches({ 'all/daily-credit-ceiling-cents': '1500' });
  const payments = ledgerPayments(null);
  population = await seedPopulation(db.sql, { users: 400, start, payments });
  const deps = {
    store: new CuratorStore(sqlTransport(db.sql)),
    switches,
    metrics,
    mailer: outboxMailer(outboxDir, undefined, clock),
    payments,
    clock,
    logger: memoryLogger(),
    config: { environment: 'staging' as const, pageSize: 150, leaseSeconds: 360, owner: 'unset', templates: {}, opsSummaryRecipients: ['ops@storytailor.test'] },
  };
  const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const webhook = createSendGridWebhookHandler(async () => ({
    store: new CuratorStore(sqlTransport(db.sql)),
    metrics,
    logger: memoryLogger(),
    clock,
    publicKey: key.publicKey,
    toleranceSeconds: 300,
    breaker: { environment: 'staging', switches, switchWriter: { turnOff: async (slug) => switches.set(`${slug}/enabled`, 'false') } },
  }));
  const reportEmails = emailReporter({ sql: db.sql, webhook, privateKey: key.privateKey, clock });
  const complaintSpike = complaintSpiker({ sql: db.sql, webhook, privateKey: key.privateKey, clock });
  result = await runSimulation({
    sql: db.sql,
    clock,
    handler: createCuratorHandler(async () => deps),
    opsSummary: createOpsSummaryHandler(async () => deps),
    switches,
    reportEmails,
    complaintSpike,
    start,
    days: 10,
    users: 400,
  });
  review = await reviewLoop(db.sql, clock.now());
  quietHours = await checkQuietHours(outboxDir, db.sql, resolvePolicy('daily_digest').policy.quietHours!);
}, 300_000);
afterAll(async () => {
  rmSync(outboxDir, { recursive: true, force: true });
  await db?.close();
});

describe('the local simulation (npm start)', () => {
  it('runs every pipeline of the catalog over days that include a Sunday and the first Monday', () => {
    expect([...result.invocations.keys()].sort()).toEqual([...jobTypes].sort());
    expect(result.invocations.get('weekly_insights')).toBe(2);
    expect(result.invocations.get('org_health_report')).toBe(1);
  });

  it('delivers the first Monday\'s organisation reports to admins who had Sunday\'s insights and digest: the family caps do not hold them', async () => {
    const tally = result.tallies.get('org_health_report')!;
    expect(tally.vetoed.FREQUENCY_CAP ?? 0).toBe(0);
    expect(tally.executed).toBeGreaterThan(0);
    // Some of those admins had two family emails on the Sunday: the reports went anyway, and counted toward nothing.
    const [capped] = await db.sql.query<{ n: number }>(
      `select count(distinct e.user_id)::int as n from pipeline_executions e
       where e.pipeline_type = 'org_health_report' and e.status = 'succeeded'
         and (select count(*) from email_delivery_log l where l.user_id = e.user_id and l.email_type in ('daily_digest', 'weekly_insights')
              and l.status <> 'failed' and l.queued_at > e.started_at - interval '24 hours' and l.queued_at <= e.started_at) >= 2`,
    );
    expect(capped!.n).toBeGreaterThan(0);
  });

  it('sees every veto reason of the design', () => {
    const seen = new Set([...result.tallies.values()].flatMap((tally) => Object.keys(tally.vetoed)));
    expect([...seen].sort()).toEqual([...vetoReasonsInOrder].sort());
  });

  it("holds the digests, insights and reports that would reach a family in its night, and sends them when its window ends", async () => {
    expect(result.quietHours.held).toBeGreaterThan(0);
    expect(result.quietHours.released).toBeGreaterThan(0);
    expect(result.quietHours.releaseRuns).toBeGreaterThan(0);
    // The release ran every 15 minutes: nothing waited for the next firing.
    expect(result.quietHours.superseded).toBe(0);
    expect(quietHours.checked).toBeGreaterThan(0);
    expect(quietHours.inside).toEqual([]);
    const [stillHeld] = await db.sql.query<{ n: number }>(
      `select count(*)::int as n from pipeline_executions where veto_reason = 'QUIET_HOURS' and held_until <= $1`,
      [new Date(start.getTime() + 10 * 86_400_000 - 15 * 60_000)],
    );
    expect(stillHeld).toEqual({ n: 0 });
    // A crisis alert is never held, whatever the hour where the family is.
    const [heldCrisis] = await db.sql.query<{ n: number }>(`select count(*)::int as n from pipeline_executions where pipeline_type = 'crisis_alert' and veto_reason = 'QUIET_HOURS'`);
    expect(heldCrisis).toEqual({ n: 0 });
  });

  it('leaves no decision pending and sends what the outbox holds', async () => {
    const [pending] = await db.sql.query(`select count(*)::int as n from pipeline_executions where status = 'pending'`);
    expect(pending).toEqual({ n: 0 });
    const emailsSent = [...result.tallies.values()].reduce((sum, tally) => sum + tally.emailsSent, 0);
    const outbox = countOutbox(outboxDir);
    const families = [...outbox.entries()].filter(([kind]) => kind !== 'ops_summary');
    expect(families.reduce((sum, [, n]) => sum + n, 0)).toBe(emailsSent);
  });

  it('trips the complaint breaker on the spike evening, pages once, and holds the next digest until ops replay it', async () => {
    expect(review.trips).toEqual([expect.objectContaining({ pipeline_type: 'daily_digest', occurred_at: expect.stringMatching(/^2026-12-02 23:50/) })]);
    // The page is the P1 alarm on BreakerTrips: counted once, for the digest.
    expect(metrics.points.filter((point) => point.name === 'BreakerTrips').map((point) => point.pipelineType)).toEqual(['daily_digest']);
    const [held] = await db.sql.query<{ n: number }>(
      `select count(*)::int as n from pipeline_executions where pipeline_type = 'daily_digest' and period_key = '2026-12-03' and status = 'succeeded'
         and completed_at > '2026-12-03T20:30:00Z'`,
    );
    expect(held!.n).toBeGreaterThan(0);
  });

  it('renders one ops summary a day into the outbox, the first Monday with the monthly report, none in email_delivery_log', async () => {
    expect(review.summaries.map((summary) => [summary.summary_date, summary.status, summary.monthly, summary.attempts])).toEqual(
      Array.from({ length: 10 }, (_, n) => {
        const date = new Date(start.getTime() + (n - 1) * 86_400_000).toISOString().slice(0, 10);
        return [date, 'sent', date === '2026-12-06', 1];
      }),
    );
    expect(result.summaries.filter((summary) => summary.status === 'skipped')).toHaveLength(1);
    expect(countOutbox(outboxDir).get('ops_summary')).toBe(10);
    // The first Monday's monthly report carries its trends as PNG images beside its HTML, which shows them.
    const monthly = readdirSync(outboxDir)
      .filter((file) => file.startsWith('ops_summary-') && file.endsWith('.json'))
      .map((file) => ({ file, email: JSON.parse(readFileSync(join(outboxDir, file), 'utf8')) as { subject: string; images: string[] } }))
      .find(({ email }) => email.subject.includes('monthly ops health report'))!;
    expect(monthly.email.images.map((image) => image.replace(/^ops_summary-[0-9a-f]+-/, ''))).toEqual(['open-rate.png', 'emails-by-day.png', 'unsubscribe-rate.png', 'credits.png', 'veto-rate.png']);
    const html = readFileSync(join(outboxDir, monthly.file.replace(/\.json$/, '.html')), 'utf8');
    for (const image of monthly.email.images) {
      expect(readFileSync(join(outboxDir, image)).subarray(1, 4).toString()).toBe('PNG');
      expect(html).toContain(`src="${image}"`);
    }
    const [logged] = await db.sql.query<{ n: number }>(`select count(*)::int as n from email_delivery_log where template_id is null or email_type not in ('daily_digest', 'weekly_insights', 'org_health_report', 'crisis_alert', 'early_intervention', 'story_failure', 'asset_timeout')`);
    expect(logged!.n).toBe(0);
    expect(review.falsePositives.find((rate) => rate.pipeline_type === 'crisis_alert')).toMatchObject({ false_positives: 1 });
  });

  it('escalates the late crisis alert and the one for a deleted account, and stays healthy', () => {
    expect(result.tallies.get('crisis_alert')).toMatchObject({ escalated: 2, skipped: 1 });
    expect(result.health?.health).toMatchObject({ status: 'healthy', missedRuns: [] });
  });

  it('prints a report with every pipeline and every veto reason', () => {
    const report = formatReport(result, {
      start,
      days: 10,
      population,
      outbox: countOutbox(outboxDir),
      outboxDir,
      ledgerFile: 'ledger.json',
      transactions: 0,
      logFile: 'curator.log',
      metrics,
      review,
      quietHours,
    });
    for (const jobType of jobTypes) expect(report).toContain(jobType);
    expect(report).toContain('every veto reason occurred');
    expect(report).toMatch(/held QUIET_HOURS [\d,]+, released [\d,]+ in [\d,]+ release runs, superseded 0/);
    expect(report).toMatch(/none inside their quiet hours \(local send time in each file\)/);
    expect(report).toMatch(/held digests sent/);
    expect(report).toContain('Email health by type');
    expect(report).toMatch(/Tuning with evidence \(ops what-if daily-digest\/min-signals=2, last 7 days\)/);
    expect(report).toMatch(/daily_digest\s+[\d,]+ held INSUFFICIENT_SIGNAL/);
    expect(report).toMatch(/complaint breaker tripped daily_digest at 2026-12-02 23:50/);
    expect(report).toContain('paged: BreakerTrips daily_digest (the P1 alarm storytailor-complaint-breaker in AWS)');
    expect(report).toMatch(/ops summaries sent: 10 \(one per day, 1 with the monthly ops health report/);
    expect(report).toMatch(/false positives crisis_alert: 1 of \d+ alerts sent/);
    expect(report).toMatch(/^daily_digest\s+[\d,]+\s+[\d,]+\s+[\d,]+\s+\d+\s+\d+\s+\d+\.\d %\s+\d+\.\d %\s+\d+\.\d %\s+\d+\.\d %$/m);
  });

  it("reports every email SendGrid heard of through the webhook, and the per-type counts are the database's", async () => {
    const [unreported] = await db.sql.query(`select count(*)::int as n from email_delivery_log where status = 'sent'`);
    expect(unreported).toEqual({ n: 0 });
    const byType = await db.sql.query<{ email_type: string; delivered: number; opened: number; bounced: number; unsubscribed: number }>(
      `select email_type, count(delivered_at)::int as delivered, count(opened_at)::int as opened, count(bounced_at)::int as bounced,
              count(unsubscribed_at)::int as unsubscribed
       from email_delivery_log group by email_type order by email_type`,
    );
    expect(byType.length).toBeGreaterThanOrEqual(5);
    for (const row of byType) {
      const emailType = row.email_type;
      expect(metrics.total('EmailsDelivered', { emailType }), emailType).toBe(row.delivered);
      expect(metrics.total('EmailOpens', { emailType }), emailType).toBe(row.opened);
      expect(metrics.total('Bounces', { emailType }), emailType).toBe(row.bounced);
      expect(metrics.total('Unsubscribes', { emailType }), emailType).toBe(row.unsubscribed);
    }
    const digest = byType.find((row) => row.email_type === 'daily_digest')!;
    // The local SendGrid opens about 42 % of digests: the open rate the alarm reads is in range, not 0 or 100.
    expect(digest.opened / digest.delivered).toBeGreaterThan(0.3);
    expect(digest.opened / digest.delivered).toBeLessThan(0.55);
  });
});
