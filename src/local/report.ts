import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MemoryMetrics } from '../adapters/local/metrics.js';
import { vetoReasonsInOrder, type VetoReason } from '../curator/verdict.js';
import { familyWindow, quietUntil, type QuietWindow } from '../curator/quiet-hours.js';
import { firingOfPeriod, isJobType, jobTypes, pipelineOf } from '../pipelines/index.js';
import { emptyTally, vetoTotal } from '../runner/tally.js';
import type { SeededPopulation } from './seed-population.js';
import type { SimulationResult } from './simulation.js';
import type { SqlClient } from '../db/sql-client.js';
import type { FalsePositiveRate } from '../store/rows.js';

/** Emails in the outbox folder, by email type. */
export function countOutbox(dir: string): Map<string, number> {
  const counts = new Map<string, number>();
  if (!existsSync(dir)) return counts;
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.json')) continue;
    // A family's email names its type; the curator's own (the ops summary) its category.
    const { emailType, category } = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { emailType?: string; category?: string };
    const kind = emailType ?? category ?? 'unknown';
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

/** The outbox's emails that keep quiet hours, read against their family's window: none should fall inside it. */
export interface QuietHoursCheck {
  /** Emails of a pipeline that keeps quiet hours, to a family the app placed. */
  readonly checked: number;
  /** Of those, sent while the family's own clock was inside its window: each one a bug. */
  readonly inside: readonly string[];
}

/**
 * Reads every email in the outbox of a pipeline that keeps quiet hours and was sent to a family with a zone, and
 * says which went inside the family's quiet hours (its own window, else `defaultWindow`) by the send time the
 * outbox recorded.
 */
export async function checkQuietHours(dir: string, sql: SqlClient, defaultWindow: QuietWindow): Promise<QuietHoursCheck> {
  const holds = new Set(jobTypes.filter((jobType) => pipelineOf(jobType).keepsQuietHours === true).map((jobType) => pipelineOf(jobType).emailType));
  const sent: Array<{ userId: string; emailType: string; sentAt: string; timeZone: string; file: string }> = [];
  if (existsSync(dir)) {
    for (const file of readdirSync(dir)) {
      if (!file.endsWith('.json')) continue;
      const email = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { userId?: string; emailType?: string; sentAt?: string; timeZone?: string };
      if (email.userId && email.emailType && holds.has(email.emailType) && email.sentAt && email.timeZone) {
        sent.push({ userId: email.userId, emailType: email.emailType, sentAt: email.sentAt, timeZone: email.timeZone, file });
      }
    }
  }
  const rows = await sql.query<{ user_id: string; quiet_start: string | null; quiet_end: string | null }>(
    `select user_id::text, to_char(quiet_start, 'HH24:MI') as quiet_start, to_char(quiet_end, 'HH24:MI') as quiet_end
     from family_time_zones where user_id = any($1::uuid[])`,
    [[...new Set(sent.map((email) => email.userId))]],
  );
  const windows = new Map(rows.map((row) => [row.user_id, familyWindow(row) ?? defaultWindow]));
  const inside = sent
    .filter((email) => quietUntil(new Date(email.sentAt), email.timeZone, windows.get(email.userId) ?? defaultWindow) !== null)
    .map((email) => `${email.file}: ${email.emailType} at ${email.sentAt} (${email.timeZone})`);
  return { checked: sent.length, inside };
}

/** Where the local run left its traces, for the report's last lines. */
export interface ReportContext {
  readonly start: Date;
  readonly days: number;
  readonly population: SeededPopulation | null;
  readonly outbox: ReadonlyMap<string, number>;
  readonly outboxDir: string;
  readonly ledgerFile: string;
  readonly transactions: number;
  readonly logFile: string;
  readonly metrics: MemoryMetrics;
  /** The review loop as the database holds it at the end. */
  readonly review?: ReviewLoop;
  /** The outbox read against the families' quiet hours. */
  readonly quietHours?: QuietHoursCheck;
}

/** The breaker's trips, the morning summaries and the false-positive rates, read back from the database. */
export interface ReviewLoop {
  readonly trips: ReadonlyArray<{ pipeline_type: string; occurred_at: string; reason: string }>;
  readonly summaries: ReadonlyArray<{ summary_date: string; status: string; monthly: boolean; attempts: number }>;
  readonly falsePositives: readonly FalsePositiveRate[];
}

/** Reads the review loop's records: breaker trips, ops summaries sent, false-positive rates of the last 30 days. */
export async function reviewLoop(sql: SqlClient, now: Date): Promise<ReviewLoop> {
  const trips = await sql.query<{ pipeline_type: string; occurred_at: string; reason: string }>(
    `select pipeline_type, occurred_at::text, reason from human_overrides where override_type = 'breaker_disable' order by occurred_at`,
  );
  const summaries = await sql.query<{ summary_date: string; status: string; monthly: boolean; attempts: number }>(
    `select summary_date::text, status, monthly, attempts from ops_summaries order by summary_date`,
  );
  const [rates] = await sql.query<{ rates: FalsePositiveRate[] }>(`select curator_false_positive_rates($1, $2) as rates`, [new Date(now.getTime() - 30 * 86_400_000), now]);
  return { trips, summaries, falsePositives: rates?.rates ?? [] };
}

/** What Stripe's invoices took of the curator's credits, as the Stripe webhook counted it (CreditsApplied). */
function creditLines(context: ReportContext): string[] {
  const total = (name: 'CreditsApplied' | 'CreditsAppliedCents') => context.metrics.total(name);
  const cents = total('CreditsAppliedCents');
  if (cents === 0 && total('CreditsApplied') === 0) return ['', 'Stripe invoices (local stand-in): no credit applied to an invoice yet'];
  return [
    '',
    `Stripe invoices (local stand-in): invoices took ${dollars(cents)} of the curator's credits; ${total('CreditsApplied')} credit(s) used up (CreditsApplied), the rest still pending with what is left`,
  ];
}

function reviewLines(context: ReportContext, summaries: SimulationResult['summaries']): string[] {
  const review = context.review;
  if (review === undefined) return [];
  const lines = ['', 'Review loop (complaint breaker, morning ops summary, clinical review)'];
  if (review.trips.length === 0) lines.push('  complaint breaker: no trip');
  for (const trip of review.trips) lines.push(`  complaint breaker tripped ${trip.pipeline_type} at ${trip.occurred_at.slice(0, 16)}: ${trip.reason}`);
  const trips = context.metrics.points.filter((point) => point.name === 'BreakerTrips');
  for (const trip of trips) lines.push(`  paged: BreakerTrips ${trip.pipelineType ?? ''} (the P1 alarm storytailor-complaint-breaker in AWS)`);
  const sent = review.summaries.filter((summary) => summary.status === 'sent');
  const skipped = summaries.filter((summary) => summary.status === 'skipped');
  lines.push(
    `  ops summaries sent: ${sent.length} (one per day, ${sent.filter((summary) => summary.monthly).length} with the monthly ops health report; ${skipped.length} invocation(s) sent nothing: ${[...new Set(skipped.map((summary) => summary.reason))].join('; ') || '-'})`,
  );
  const last = [...summaries].reverse().find((summary) => summary.status === 'succeeded');
  if (last?.subject) lines.push(`  last summary: "${last.subject}"`);
  for (const rate of review.falsePositives) {
    lines.push(`  false positives ${rate.pipeline_type}: ${rate.false_positives} of ${rate.alerts} alerts sent${rate.rate_percent === null ? '' : ` (${rate.rate_percent} %)`}`);
  }
  return lines;
}

const number = (value: number) => value.toLocaleString('en-US');

/**
 * Why the health job at the end was unhealthy, in words: each scheduled run it found missing, with when it should
 * have fired (a monthly job's last firing often falls before the simulated days began), and stuck runs.
 */
function whyUnhealthy(checks: Readonly<Record<string, unknown>>, start: Date): string[] {
  const why: string[] = [];
  const missed = (checks.missedRuns as Array<{ job_type: string; period_key: string }> | undefined) ?? [];
  for (const run of missed) {
    const firing = isJobType(run.job_type) ? firingOfPeriod(run.job_type, run.period_key) : null;
    const when = firing === null ? '' : ` (its firing was ${firing.scheduledTime.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    const before = firing !== null && firing.scheduledTime < start ? ', before the simulated days began, so it never ran here)' : firing === null ? '' : ', and no run of it exists)';
    why.push(`missed: ${run.job_type} for ${run.period_key}${when}${before}`);
  }
  const runs = checks.runs as { stuck?: number } | undefined;
  if ((runs?.stuck ?? 0) > 0) why.push(`${runs!.stuck} run(s) stuck: their lease ran out while running`);
  if (checks.switches !== 'ok') why.push(`switches ${String(checks.switches)}`);
  if (checks.database !== 'ok') why.push(`database ${String(checks.database)}: ${String(checks.databaseError ?? '')}`);
  return why;
}
const percent = (part: number, whole: number) => (whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)} %`);

/**
 * Email health by type, from the metrics the webhook published (what CloudWatch would hold): sent, delivered,
 * first opens, unsubscribes and hard bounces, and the rates the alarms read.
 */
function emailHealth(metrics: MemoryMetrics): string[] {
  const types = [...new Set(metrics.points.filter((point) => point.name === 'EmailsSent' && point.emailType).map((point) => point.emailType!))].sort();
  if (types.length === 0 || metrics.total('EmailsDelivered') + metrics.total('Bounces') === 0) return [];
  const header = ['email type', 'sent', 'delivered', 'opened', 'unsubscribed', 'bounced', 'delivery', 'open rate', 'unsub rate', 'bounce rate'];
  const widths = [20, 7, 10, 7, 13, 8, 9, 10, 11, 12];
  const lines = ['', 'Email health by type (SendGrid webhook; rates of what was delivered, bounces of what reached an outcome)'];
  lines.push(row(header, widths));
  for (const emailType of types) {
    const of = (name: Parameters<MemoryMetrics['total']>[0]) => metrics.total(name, { emailType });
    const [sent, delivered, opened, unsubscribed, bounced] = [of('EmailsSent'), of('EmailsDelivered'), of('EmailOpens'), of('Unsubscribes'), of('Bounces')];
    const cells = [
      emailType,
      number(sent),
      number(delivered),
      number(opened),
      number(unsubscribed),
      number(bounced),
      percent(delivered, sent),
      percent(opened, delivered),
      percent(unsubscribed, delivered),
      percent(bounced, delivered + bounced),
    ];
    lines.push(row(cells, widths));
  }
  return lines;
}

const pad = (text: string, width: number, left = false) => (left ? text.padEnd(width) : text.padStart(width));
/** A table row: the first cell left-aligned, the figures right-aligned, each in its column's width. */
const row = (cells: readonly string[], widths: readonly number[]) => cells.map((cell, i) => pad(cell, widths[i]!, i === 0)).join(' ');
const dollars = (cents: number) => `$${(cents / 100).toFixed(0)}`;

/** The what-if the run ended with: what it would have changed, per pipeline. */
function whatIfLines(result: SimulationResult): string[] {
  const asked = result.whatIf;
  if (asked === null) return [];
  const { report } = asked;
  const overrides = Object.entries(report.overrides).map(([key, value]) => `${key}=${value}`).join(', ');
  const lines = ['', `Tuning with evidence (ops what-if ${overrides}, last ${report.days} days)`];
  lines.push(`  ${number(report.redecided)} recorded decisions made again with the curator's decide(): ${number(report.changed)} would change`);
  for (const pipeline of report.pipelines.filter((entry) => entry.total.changed > 0)) {
    const held = Object.entries(pipeline.total.executedToVetoed).map(([reason, n]) => `${number(n)} held ${reason}`);
    const freed = Object.entries(pipeline.total.vetoedToExecuted).map(([reason, n]) => `${number(n)} no longer held ${reason}`);
    lines.push(`  ${pad(pipeline.pipelineType, 20, true)} ${[...held, ...freed].join(', ')}; emails ${number(pipeline.total.emailsBefore)} -> ${number(pipeline.total.emailsAfter)}`);
  }
  for (const [why, n] of Object.entries(report.notRedecided)) lines.push(`  not re-decided: ${number(n)} ${why}`);
  lines.push(`  kept in what_if_reports (${asked.reportId}); \`npm run ops -- tune …\` would apply it`);
  return lines;
}

/** What quiet hours held, released and superseded, and whether the outbox kept the families' nights. */
function quietHoursLines(result: SimulationResult, check: QuietHoursCheck | undefined): string[] {
  const { held, released, superseded, releaseRuns } = result.quietHours;
  const lines = ['', "Quiet hours (the family's own time zone; the release runs every 15 minutes)"];
  lines.push(`  held QUIET_HOURS ${number(held)}, released ${number(released)} in ${number(releaseRuns)} release runs, superseded ${number(superseded)}`);
  if (check !== undefined) {
    lines.push(
      check.inside.length === 0
        ? `  outbox: ${number(check.checked)} digests, insights and reports to placed families, none inside their quiet hours (local send time in each file)`
        : `  outbox: ${check.inside.length} of ${number(check.checked)} sent INSIDE the family's quiet hours: ${check.inside.slice(0, 3).join('; ')}`,
    );
  }
  return lines;
}

/** The readable report of a local run: per pipeline, then per veto reason, then what ops and health saw. */
export function formatReport(result: SimulationResult, context: ReportContext): string {
  const { start, days, population, outbox } = context;
  const end = new Date(start.getTime() + (days - 1) * 86_400_000);
  const lines: string[] = ['', 'Storytailor Intelligence Curator — local run', ''];
  lines.push(`Simulated ${start.toISOString().slice(0, 10)} to ${end.toISOString().slice(0, 10)} (${days} days) in ${result.seconds.toFixed(1)} s`);
  if (population) {
    const referrals = Object.entries(population.referrals).map(([status, n]) => `${n} ${status}`).join(', ');
    lines.push(
      `Population: ${number(population.users)} families, ${population.organizations} organisations, referrals ${referrals}, ` +
        `${population.expiringCredits} credits expiring, ${population.archivable} decisions older than 90 days`,
    );
  }
  lines.push('');
  const header = ['pipeline', 'invoked', 'candidates', 'executed', 'skipped', 'vetoed', 'escalated', 'failed', 'emails', 'credits'];
  const widths = [20, 8, 11, 9, 8, 7, 10, 7, 7, 14];
  lines.push(row(header, widths));
  const reasonTotals = new Map<VetoReason, number>();
  for (const jobType of jobTypes) {
    const tally = result.tallies.get(jobType) ?? emptyTally();
    for (const [reason, n] of Object.entries(tally.vetoed) as Array<[VetoReason, number]>) {
      reasonTotals.set(reason, (reasonTotals.get(reason) ?? 0) + n);
    }
    const money = [
      tally.creditsIssuedCents > 0 ? `+${dollars(tally.creditsIssuedCents)}` : '',
      tally.creditsReversedCents > 0 ? `-${dollars(tally.creditsReversedCents)}` : '',
    ].join(' ');
    const cells = [
      jobType,
      number(result.invocations.get(jobType) ?? 0),
      number(tally.candidates),
      number(tally.executed),
      number(tally.skipped),
      number(vetoTotal(tally)),
      number(tally.escalated),
      number(tally.failed + tally.unknown),
      number(outbox.get(jobType) ?? 0),
      money.trim(),
    ];
    lines.push(row(cells, widths));
  }
  lines.push('', 'Vetoed, by reason (in the order the checks run)');
  for (const reason of vetoReasonsInOrder) {
    const byPipeline = jobTypes
      .map((jobType) => [jobType, result.tallies.get(jobType)?.vetoed[reason] ?? 0] as const)
      .filter(([, n]) => n > 0)
      .map(([jobType, n]) => `${jobType} ${number(n)}`)
      .join(', ');
    lines.push(`  ${pad(reason, 20, true)} ${pad(number(reasonTotals.get(reason) ?? 0), 7)}  ${byPipeline}`);
  }
  const missing = vetoReasonsInOrder.filter((reason) => !reasonTotals.get(reason));
  lines.push(`  ${missing.length === 0 ? 'every veto reason occurred' : `did not occur: ${missing.join(', ')}`}`);
  lines.push(...quietHoursLines(result, context.quietHours));
  lines.push(...emailHealth(context.metrics));
  lines.push(...reviewLines(context, result.summaries));
  lines.push(...creditLines(context));
  lines.push(...whatIfLines(result));
  lines.push('', 'Ops, jobs and health');
  for (const note of result.notes) lines.push(`  ${note}`);
  lines.push(`  crisis escalations for a human: ${context.metrics.total('CrisisEscalations')} (CrisisEscalations metric)`);
  const checks = result.health?.health;
  if (checks) {
    lines.push(`  health at the end: ${String(checks.status)}; database ${String(checks.database)}, switches ${String(checks.switches)}`);
    for (const line of whyUnhealthy(checks, start)) lines.push(`    ${line}`);
  }
  const emails = [...outbox.values()].reduce((sum, n) => sum + n, 0);
  lines.push('', 'Where to look');
  const summaryFiles = outbox.get('ops_summary') ?? 0;
  lines.push(`  emails sent:      ${context.outboxDir}/ (${number(emails - summaryFiles)} files: recipient, template, data)`);
  lines.push(`  ops summaries:    ${context.outboxDir}/ops_summary-*.json and .html (${summaryFiles}: the morning email to ops, rendered)`);
  lines.push(`  Stripe stand-in:  ${context.ledgerFile} (${context.transactions} balance transactions)`);
  lines.push(`  decision log:     ${context.logFile} (one JSON line per decision)`);
  lines.push(`  metrics:          ${[...new Set(context.metrics.points.map((point) => point.name))].join(', ')}`);
  lines.push('');
  return lines.join('\n');
}
