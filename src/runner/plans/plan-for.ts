import { periodWindowHours, pipelineOf, type Firing, type JobType } from '../../pipelines/index.js';
import type { CuratorDeps } from '../deps.js';
import { JobRequestError } from '../errors.js';
import type { PagePlan } from '../pages/page-plan.js';
import type { PlanPeriod } from './email-plan.js';
import { expiryPlan } from './expiry-plan.js';
import { maintenancePlan } from './maintenance-plan.js';
import { orgHealthPlan } from './org-health-plan.js';
import { referralPlan } from './referral-plan.js';
import { userEmailPlan } from './user-email-plan.js';

/** The window a period's signal is counted over: the catalog's day, week or month before its firing. */
function periodOf(jobType: JobType, firing: Firing): PlanPeriod {
  const end = firing.scheduledTime;
  const kind = pipelineOf(jobType).period;
  const hours = kind === 'signal' ? periodWindowHours.daily : periodWindowHours[kind];
  return { periodKey: firing.periodKey, windowStart: new Date(end.getTime() - hours * 3_600_000), windowEnd: end };
}

/**
 * The plan of a scheduled pipeline for one firing. Its row type stays behind it: the page functions hand its rows
 * only back to the plan that loaded them.
 */
export function planFor(deps: CuratorDeps, jobType: JobType, firing: Firing): PagePlan<unknown> {
  const period = periodOf(jobType, firing);
  switch (jobType) {
    case 'daily_digest':
    case 'weekly_insights':
      return userEmailPlan(deps, jobType, period) as PagePlan<unknown>;
    case 'org_health_report':
      return orgHealthPlan(deps, period) as PagePlan<unknown>;
    case 'referral_rewards':
      return referralPlan(deps, period) as PagePlan<unknown>;
    case 'expire_credits':
      return expiryPlan(deps, period) as PagePlan<unknown>;
    case 'story_scoring':
    case 'data_retention':
      return maintenancePlan(deps, jobType, period) as PagePlan<unknown>;
    case 'crisis_alert':
    case 'early_intervention':
    case 'story_failure':
    case 'asset_timeout':
      throw new JobRequestError('detail.jobType', `${jobType} is realtime: it runs from the app's signals, not on a schedule`);
    default: {
      const unknown: never = jobType;
      throw new JobRequestError('detail.jobType', `unknown job ${String(unknown)}`);
    }
  }
}
