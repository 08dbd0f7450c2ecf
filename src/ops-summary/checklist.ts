import { isJobType, lastFiring, pipelineOf, type JobType } from '../pipelines/index.js';
import type { OpsSummaryFigures } from '../store/rows.js';

/**
 * The operations guide's checklists, as the morning email carries them: what each step reads, the guide's targets,
 * and where the runbook says what to do when one is missed.
 */

/** Morning Checklist step 1: the overnight jobs (daily digest 20:00, referral rewards 01:00, expire credits 03:00, story scoring 04:00). */
export const overnightJobs: readonly JobType[] = ['daily_digest', 'referral_rewards', 'expire_credits', 'story_scoring'];

/** Each overnight job's last firing before the summary: the runs the checklist asks about. */
export function overnightFirings(at: Date): Array<{ job_type: JobType; period_key: string }> {
  return overnightJobs.flatMap((jobType) => {
    const firing = lastFiring(jobType, at);
    return firing === null ? [] : [{ job_type: jobType, period_key: firing.periodKey }];
  });
}

/**
 * Morning Checklist step 4, the guide's email targets: open rate above 40 %, unsubscribe rate below 0.2 %, bounce rate
 * below 2 %, no spam complaint. A rate is flagged only once the type had `minimumDelivered` deliveries that day (a
 * handful of crisis alerts is no rate); a spam complaint is flagged at any volume, since the target is none. Clicks
 * are shown; the guide sets no click target.
 */
export const emailTargets = {
  openRateAbovePercent: 40,
  unsubscribeRateBelowPercent: 0.2,
  bounceRateBelowPercent: 2,
  spamComplaints: 0,
  minimumDelivered: 100,
} as const;

/** Weekly Checklist step 2: "Alert if: SLA violation rate > 5 %". */
export const slaViolationCeilingPercent = 5;

/** Where the runbooks say what to do, by what needs attention (anchors as GitHub makes them). */
export const runbookSections = {
  failedRun: 'runbooks/operations.md#a-scheduled-job-failed-or-timed-out',
  missedRun: 'runbooks/monitoring.md#storytailor-missed-runs',
  breaker: 'runbooks/operations.md#the-complaint-breaker',
  escalation: 'runbooks/monitoring.md#storytailor-crisis-escalations',
  credits: 'runbooks/operations.md#referral-reward-not-issued',
  switchOff: 'runbooks/operations.md#kill-switches',
  ignored: 'runbooks/monitoring.md#storytailor-ignored-parameters',
  falsePositives: 'runbooks/monitoring.md#storytailor-false-positive-rate',
  lambda: 'runbooks/monitoring.md#storytailor-curator-errors',
  throttles: 'runbooks/monitoring.md#storytailor-curator-throttles',
  email: 'runbooks/monitoring.md#email-health-by-type',
  spam: 'runbooks/operations.md#email-spam-complaints--unsubscribe-spike',
  sla: 'runbooks/operations.md#high-sla-violation-rate-sla_missed-frequent',
  orgReports: 'runbooks/monitoring.md#the-morning-ops-email',
} as const;

type EmailRow = OpsSummaryFigures['email'][number];

/** The targets one email type missed that day, each said in a line (empty when none, or too few to say). */
export function missedEmailTargets(row: EmailRow): string[] {
  const missed: string[] = [];
  if (row.spam_reported > emailTargets.spamComplaints) missed.push(`${row.spam_reported} spam complaint(s) (target ${emailTargets.spamComplaints})`);
  if (row.delivered < emailTargets.minimumDelivered) return missed;
  if (row.open_rate !== null && row.open_rate <= emailTargets.openRateAbovePercent) missed.push(`open rate ${row.open_rate} % (target above ${emailTargets.openRateAbovePercent} %)`);
  if (row.unsubscribe_rate !== null && row.unsubscribe_rate >= emailTargets.unsubscribeRateBelowPercent) {
    missed.push(`unsubscribe rate ${row.unsubscribe_rate} % (target below ${emailTargets.unsubscribeRateBelowPercent} %)`);
  }
  if (row.bounce_rate !== null && row.bounce_rate >= emailTargets.bounceRateBelowPercent) missed.push(`bounce rate ${row.bounce_rate} % (target below ${emailTargets.bounceRateBelowPercent} %)`);
  return missed;
}

/** The pipelines with an emotional SLA: the ones the Weekly Checklist's SLA compliance is about. */
export const hasSla = (pipelineType: string): boolean => isJobType(pipelineType) && pipelineOf(pipelineType).thresholds.slaMinutes !== null;
