import { pipelineOf, type JobType } from '../../pipelines/index.js';
import { storeFunctions } from '../../store/functions.js';
import type { UserCandidate } from '../../store/rows.js';
import type { CuratorDeps } from '../deps.js';
import type { PagePlan } from '../pages/page-plan.js';
import { sendEmails } from '../effects/send-emails.js';
import { baseCandidate, claimedEmail, emailFacts, emailPageQuery, templateOf, type PlanPeriod } from './email-plan.js';

/** Daily digest and weekly insights: one email per active user with enough signal in the period's window. */
export function userEmailPlan(deps: CuratorDeps, jobType: JobType, period: PlanPeriod): PagePlan<UserCandidate> {
  const emailType = pipelineOf(jobType).emailType!;
  return {
    jobType,
    load: (page, policy) =>
      deps.store.call(storeFunctions.digestCandidates, { ...emailPageQuery(deps, jobType, emailType, period, page, policy), through: page.through }),
    shardBounds: (shardSize) => deps.store.call(storeFunctions.digestShardBounds, { shardSize }),
    subjectOf: (row) => row.subject_key,
    periodOf: () => period.periodKey,
    userOf: (row) => row.user_id,
    existingOf: (row) => row.existing,
    candidateOf: (row) => ({
      ...baseCandidate(row.subject_key, row.existing?.status === 'succeeded'),
      signalCount: row.signal_count,
      confidence: row.confidence,
      email: emailFacts(row.facts),
    }),
    recordOf: () => ({
      trigger_data: { window_start: period.windowStart.toISOString(), window_end: period.windowEnd.toISOString() },
      template_id: templateOf(deps, emailType),
      credit: null,
    }),
    act: (claims, policy, gate) =>
      sendEmails(
        deps,
        claims.map((item) =>
          claimedEmail(deps, emailType, item, {
            first_name: item.row.first_name,
            period_key: period.periodKey,
            stories_read: item.row.signal_count,
            top_story_title: item.row.top_story_title,
          }),
        ),
        policy,
        gate,
      ),
  };
}
