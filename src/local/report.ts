import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MemoryMetrics } from '../adapters/local/metrics.js';
import { vetoReasonsInOrder, type VetoReason } from '../curator/verdict.js';
import { firingOfPeriod, isJobType, jobTypes } from '../pipelines/index.js';
import { emptyTally, vetoTotal } from '../runner/tally.js';
import type { SeededPopulation } from './seed-population.js';
import type { SimulationResult } from './simulation.js';

/** Emails in the outbox folder, by email type. */
export function countOutbox(dir: string): Map<string, number> {
  const counts = new Map<string, number>();
  if (!existsSync(dir)) return counts;
  for (const file of readdirSync(dir)) {
    const { emailType } = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { emailType: string };
    counts.set(emailType, (counts.get(emailType) ?? 0) + 1);
  }
  return counts;
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
  lines.push(...emailHealth(context.metrics));
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
  lines.push(`  emails sent:      ${context.outboxDir}/ (${number(emails)} files: recipient, template, data)`);
  lines.push(`  Stripe stand-in:  ${context.ledgerFile} (${context.transactions} balance transactions)`);
  lines.push(`  decision log:     ${context.logFile} (one JSON line per decision)`);
  lines.push(`  metrics:          ${[...new Set(context.metrics.points.map((point) => point.name))].join(', ')}`);
  lines.push('');
  return lines.join('\n');
}
