import type { EmailFacts } from '../../curator/caps.js';
import { familyWindow } from '../../curator/quiet-hours.js';
import type { Candidate } from '../../curator/decide.js';
import type { OutgoingEmail } from '../../curator/ports.js';
import { emailPolicyJson, type PipelinePolicy } from '../../curator/policy.js';
import type { JobType } from '../../pipelines/index.js';
import type { ArgsOf, storeFunctions } from '../../store/functions.js';
import type { EmailFactsRow } from '../../store/rows.js';
import type { CuratorDeps } from '../deps.js';
import type { Claim } from '../effects/claim.js';
import type { PageRequest } from '../pages/page-plan.js';

/** What the email plans share: the period they decide for, and the window their signal is counted over. */
export interface PlanPeriod {
  readonly periodKey: string;
  readonly windowStart: Date;
  readonly windowEnd: Date;
}

export function emailFacts(row: EmailFactsRow): EmailFacts {
  return {
    optedOut: row.opted_out,
    suppressed: row.suppressed,
    typeCount: row.type_count,
    nonCriticalCounts: row.non_critical_counts,
    place: row.time_zone ? { timeZone: row.time_zone, window: familyWindow({ quiet_start: row.quiet_start ?? null, quiet_end: row.quiet_end ?? null }) } : null,
  };
}

/** The SendGrid dynamic template of an email type (its own name when none is configured). */
export function templateOf(deps: CuratorDeps, emailType: string): string {
  return deps.config.templates[emailType] ?? emailType;
}

/** The query of one page of a plan: its period, the page's bounds and subjects, the time of now. */
export function pageQuery(deps: CuratorDeps, jobType: JobType, period: PlanPeriod, page: PageRequest): ArgsOf<typeof storeFunctions.referralCandidates> {
  return { jobType, periodKey: period.periodKey, after: page.after, limit: page.limit, subjects: page.subjects, at: deps.clock.now() };
}

/** The query of one page of an email plan: also its period's window, and facts counted under `policy`. */
export function emailPageQuery(
  deps: CuratorDeps,
  jobType: JobType,
  emailType: string,
  period: PlanPeriod,
  page: PageRequest,
  policy: PipelinePolicy,
): ArgsOf<typeof storeFunctions.orgAdminCandidates> {
  return {
    ...pageQuery(deps, jobType, period, page),
    emailType,
    windowStart: period.windowStart,
    windowEnd: period.windowEnd,
    policy: emailPolicyJson(policy),
  };
}

/** The email of `emailType` a claimed row is sent, with its template data. */
export function claimedEmail(
  deps: CuratorDeps,
  emailType: string,
  item: { readonly row: { readonly user_id: string; readonly email: string; readonly facts?: EmailFactsRow }; readonly claim: Claim },
  templateData: Record<string, unknown>,
): { claim: Claim; email: OutgoingEmail } {
  const { row, claim } = item;
  const timeZone = row.facts?.time_zone;
  return {
    claim,
    email: { executionId: claim.executionId, userId: row.user_id, to: row.email, emailType, templateId: templateOf(deps, emailType), templateData, ...(timeZone ? { timeZone } : {}) },
  };
}

/** A candidate with only its subject and whether it already succeeded; plans add the facts their checks read. */
export const baseCandidate = (subjectKey: string, alreadySucceeded: boolean): Candidate => ({
  subjectKey,
  alreadySucceeded,
  signalCount: null,
  confidence: null,
  eventTimestamp: null,
  email: null,
  credit: null,
});
