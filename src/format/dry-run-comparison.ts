import type { LastRun } from '../store/rows.js';
import { formatTable } from './table.js';

/** What a dry run decided, as its report keeps it (the runner's tally). */
export interface DryRunTally {
  readonly candidates: number;
  readonly executed: number;
  readonly skipped: number;
  readonly unchanged?: number;
  readonly vetoed: Readonly<Record<string, number | undefined>>;
  readonly failed?: number;
  readonly escalated: number;
}

/** One line of the comparison: an outcome (or a veto reason), the dry run, the real run, and the difference. */
export interface ComparisonRow {
  readonly outcome: string;
  readonly dry_run: number;
  readonly real_run: number | null;
  readonly difference: number | null;
}

/** The dry run beside the real run it is compared with, outcome by outcome and veto reason by veto reason. */
export interface DryRunComparison {
  /** Which real run: its period's, an earlier period's (labelled so), or none. */
  readonly compared_with: string;
  readonly real_run: { readonly id: string; readonly period_key: string; readonly status: string; readonly same_period: boolean } | null;
  readonly rows: readonly ComparisonRow[];
}

const sum = (counts: Readonly<Record<string, number | undefined>>) => Object.values(counts).reduce<number>((total, n) => total + (n ?? 0), 0);

/**
 * Compares a dry run with the real run `curator_last_run` found for it. The real run's counts are its firing's
 * (a replay of the period counts apart). A reason only one side has reads 0 on the other.
 *
 * @example
 * compareDryRun(report.tally, report.lastRealRun).rows // [{ outcome: 'decided', dry_run: 14, real_run: 14, difference: 0 }, …]
 */
export function compareDryRun(tally: DryRunTally, last: LastRun): DryRunComparison {
  const real = last ?? null;
  const reasons = [...new Set([...Object.keys(tally.vetoed), ...Object.keys(real?.veto_reasons ?? {})])].sort();
  const row = (outcome: string, dry: number, realCount: number | undefined): ComparisonRow => ({
    outcome,
    dry_run: dry,
    real_run: real === null ? null : (realCount ?? 0),
    difference: real === null ? null : dry - (realCount ?? 0),
  });
  const rows = [
    row('decided', tally.candidates, real?.candidates),
    row('executed', tally.executed, real?.executed),
    row('skipped', tally.skipped, real?.skipped),
    row('vetoed', sum(tally.vetoed), real?.vetoed),
    ...reasons.map((reason) => row(`  ${reason}`, tally.vetoed[reason] ?? 0, real?.veto_reasons[reason])),
    row('failed', tally.failed ?? 0, real?.failed),
    row('escalated', tally.escalated, real?.escalated),
  ];
  return {
    compared_with:
      real === null
        ? 'no real run of this job yet'
        : real.same_period
          ? `the last real run of ${real.period_key} (${real.status})`
          : `no real run of this period yet: the last real run of the previous period, ${real.period_key} (${real.status})`,
    real_run: real === null ? null : { id: real.id, period_key: real.period_key, status: real.status, same_period: real.same_period },
    rows,
  };
}

const signed = (n: number | null) => (n === null ? '' : n > 0 ? `+${n}` : String(n));

/** The comparison as one table for people, under the line that says what it is compared with. */
export function comparisonTable(comparison: DryRunComparison): string[] {
  return [
    `compared with ${comparison.compared_with}`,
    ...formatTable(
      ['outcome', 'dry run', 'real run', 'difference'],
      comparison.rows.map((row) => [row.outcome, String(row.dry_run), row.real_run === null ? '' : String(row.real_run), signed(row.difference)]),
    ),
  ];
}
