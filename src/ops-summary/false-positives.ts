import type { FalsePositiveRate } from '../store/rows.js';

/** The window the guide reviews false-positive rates over (its monthly checklist). */
export const falsePositiveWindowDays = 30;

/**
 * The guide's ceilings: "Crisis: Should be <10 %", "Therapeutic: Should be <30 %". Early intervention is the one
 * therapeutic pathway: it reaches out on a pattern of a child's distress, which the clinical team reviews;
 * story_failure and asset_timeout report technical failures and have no clinical false positive.
 */
export const falsePositiveCeilings: Readonly<Record<string, number>> = { crisis_alert: 10, early_intervention: 30 };

/** The header of a false-positive table, for `ops false-positives` and the monthly report alike. */
export const falsePositiveHeader = ['pipeline', 'alerts', 'false positives', 'rate', 'ceiling', ''] as const;

/** One row per alert pipeline: alerts, marked false, the rate, the guide's ceiling, and whether it is above it. */
export function falsePositiveRows(rates: readonly FalsePositiveRate[]): string[][] {
  return rates.map((rate) => {
    const ceiling = falsePositiveCeilings[rate.pipeline_type];
    const over = rate.rate_percent !== null && ceiling !== undefined && rate.rate_percent > ceiling;
    return [
      rate.pipeline_type,
      String(rate.alerts),
      String(rate.false_positives),
      rate.rate_percent === null ? 'n/a' : `${rate.rate_percent.toFixed(1)} %`,
      ceiling === undefined ? '' : `< ${ceiling} %`,
      over ? 'ABOVE: escalate to engineering' : '',
    ];
  });
}
