import type { JobType } from '../pipelines/index.js';
import type { WhatIfReport } from './report.js';

/**
 * What a clinical change must show before it is applied (`ops tune`): with at least {@link minimumAlerts} alerts of
 * the window that went out and can be decided again, no more than {@link maximumLostShare} of them may stop going
 * out; with fewer, there is no evidence either way, and the confirmation says so.
 */
export const clinicalEvidence = { minimumAlerts: 5, maximumLostShare: 0.2 } as const;

/** What the what-if says of one clinical pipeline: the alerts that went out, and how many would no longer. */
export interface ClinicalFinding {
  readonly jobType: JobType;
  readonly sent: number;
  readonly lost: number;
  readonly verdict: 'refused' | 'supported' | 'no_evidence';
  /** One line for the person at the keyboard. */
  readonly says: string;
}

const percent = (share: number) => `${(100 * share).toFixed(0)} %`;

/**
 * Reads a what-if report for the clinical pipelines a change reaches: per pipeline, the alerts re-decided that went
 * out (`emailsBefore`) and those the change would hold back (`executedToVetoed`).
 *
 * @example
 * weighClinicalChange(report, ['crisis_alert'])[0].verdict // 'refused' when 3 of 10 sent alerts would be held
 */
export function weighClinicalChange(report: WhatIfReport, clinical: readonly JobType[]): ClinicalFinding[] {
  return clinical.map((jobType) => {
    const total = report.pipelines.find((pipeline) => pipeline.pipelineType === jobType)?.total;
    const sent = total?.emailsBefore ?? 0;
    const lost = Object.values(total?.executedToVetoed ?? {}).reduce((sum, n) => sum + n, 0);
    if (sent < clinicalEvidence.minimumAlerts) {
      return {
        jobType,
        sent,
        lost,
        verdict: 'no_evidence',
        says: `${jobType}: only ${sent} alert(s) that went out in the window could be decided again (${lost} would not go out): no evidence either way`,
      };
    }
    const share = lost / sent;
    const refused = share > clinicalEvidence.maximumLostShare;
    return {
      jobType,
      sent,
      lost,
      verdict: refused ? 'refused' : 'supported',
      says: `${jobType}: ${lost} of the ${sent} alerts that went out in the window would no longer go out (${percent(share)}${refused ? `, more than ${percent(clinicalEvidence.maximumLostShare)}` : ''})`,
    };
  });
}
