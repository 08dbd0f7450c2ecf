import { falsePositiveCeilingOf } from '../pipelines/index.js';
import type { FalsePositiveRate } from '../store/rows.js';

/** The window the guide reviews false-positive rates over (its monthly checklist). */
export const falsePositiveWindowDays = 30;

/** The header of a false-positive table, for `ops false-positives` and the monthly report alike. */
export const falsePositiveHeader = ['pipeline', 'alerts', 'false positives', 'rate', 'ceiling', ''] as const;

/** One row per alert pipeline: alerts, marked false, the rate, the guide's ceiling, and whether it is above it. */
export function falsePositiveRows(rates: readonly FalsePositiveRate[]): string[][] {
  return rates.map((rate) => {
    const ceiling = falsePositiveCeilingOf(rate.pipeline_type);
    const over = rate.rate_percent !== null && ceiling !== null && rate.rate_percent > ceiling;
    return [
      rate.pipeline_type,
      String(rate.alerts),
      String(rate.false_positives),
      rate.rate_percent === null ? 'n/a' : `${rate.rate_percent.toFixed(1)} %`,
      ceiling === null ? '' : `< ${ceiling} %`,
      over ? 'ABOVE: escalate to engineering' : '',
    ];
  });
}
