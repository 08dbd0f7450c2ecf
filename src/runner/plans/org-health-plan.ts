import { pipelineOf } from '../../pipelines/index.js';
import { storeFunctions } from '../../store/functions.js';
import type { OrgAdminCandidate } from '../../store/rows.js';
import type { CuratorDeps } from '../deps.js';
import type { PagePlan } from '../pages/page-plan.js';
import { sendEmails } from '../effects/send-emails.js';
import { baseCandidate, claimedEmail, emailFacts, emailPageQuery, templateOf, type PlanPeriod } from './email-plan.js';

/** Organisation health report: one email per admin of every organisation, about the month before. */
export function orgHealthPlan(deps: CuratorDeps, period: PlanPeriod): PagePlan<OrgAdminCandidate> {
  const jobType = 'org_health_report' as const;
  const emailType = pipelineOf(jobType).emailType!;
  return {
    jobType,
    load: (page, policy) => deps.store.call(storeFunctions.orgAdminCandidates, emailPageQuery(deps, jobType, emailType, period, page, policy)),
    subjectOf: (row) => row.subject_key,
    periodOf: () => period.periodKey,
    userOf: (row) => row.user_id,
    existingOf: (row) => row.existing,
    candidateOf: (row) => ({
      ...baseCandidate(row.subject_key, row.existing?.status === 'succeeded'),
      email: emailFacts(row.facts),
    }),
    recordOf: (row) => ({
      trigger_data: { organization_id: row.organization_id, window_start: period.windowStart.toISOString() },
      template_id: templateOf(deps, emailType),
      credit: null,
    }),
    act: (claims, policy, gate) =>
      sendEmails(
        deps,
        claims.map((item) =>
          claimedEmail(deps, emailType, item, {
            first_name: item.row.first_name,
            organization_name: item.row.organization_name,
            period_key: period.periodKey,
            members: item.row.members,
            active_members: item.row.active_members,
            reading_events: item.row.reading_events,
          }),
        ),
        policy,
        gate,
      ),
  };
}
