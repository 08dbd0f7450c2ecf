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

/** Runs `use` with the plan of a scheduled pipeline, whatever its row type. */
export function withPlan<T>(
  deps: CuratorDeps,
  jobType: JobType,
  firing: Firing,
  details: Record<string, unknown>,
  use: <Row>(plan: PagePlan<Row>) => Promise<T>,
): Promise<T> {
  const period = periodOf(jobType, firing);
  switch (jobType) {
    case 'daily_digest':
    case 'weekly_insights':
      return use(userEmailPlan(deps, jobType, period));
    case 'org_health_report':
      return use(orgHealthPlan(deps, period));
    case 'referral_rewards':
      return use(referralPlan(deps, period));
    case 'expire_credits':
      return use(expiryPlan(deps, period));
    case 'story_scoring':
    case 'data_retention':
      return use(maintenancePlan(deps, jobType, period, details));
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
