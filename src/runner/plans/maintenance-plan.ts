import { retention, type JobType } from '../../pipelines/index.js';
import { storeFunctions } from '../../store/functions.js';
import type { CuratorDeps } from '../deps.js';
import type { ActResult } from '../effects/claim.js';
import type { RunDetails } from '../job-result.js';
import type { PagePlan } from '../pages/page-plan.js';
import { baseCandidate, type PlanPeriod } from './email-plan.js';

/** The single subject of a job that works on the whole database. */
interface WholeDatabase {
  readonly subject_key: 'all';
}

const storyScoringWindowDays = 30;

/**
 * Story scoring and data retention: one decision per period (the kill switch still applies), then SQL does the
 * work set-based; no provider request, so no gate. `report` answers what it did: stories scored, rows archived.
 */
export function maintenancePlan(
  deps: CuratorDeps,
  jobType: Extract<JobType, 'story_scoring' | 'data_retention'>,
  period: PlanPeriod,
): PagePlan<WholeDatabase> {
  let details: RunDetails = {};
  return {
    jobType,
    load: async (page) => (page.after === null ? [{ subject_key: 'all' }] : []),
    subjectOf: (row) => row.subject_key,
    periodOf: () => period.periodKey,
    userOf: () => null,
    existingOf: () => null,
    candidateOf: (row) => baseCandidate(row.subject_key, false),
    recordOf: () => ({ trigger_data: { window_end: period.windowEnd.toISOString() }, template_id: null, credit: null }),
    report: () => details,
    async act(claims): Promise<ActResult[]> {
      return Promise.all(
        claims.map(async ({ claim }): Promise<ActResult> => {
          try {
            if (jobType === 'story_scoring') {
              const since = new Date(period.windowEnd.getTime() - storyScoringWindowDays * 86_400_000);
              details = { storiesScored: await deps.store.call(storeFunctions.scoreStories, { windowStart: since }) };
            } else {
              const before = new Date(deps.clock.now().getTime() - retention.ageDays * 86_400_000);
              let executions = 0;
              let emails = 0;
              for (;;) {
                const moved = await deps.store.archiveExpired(before, retention.batchSize);
                executions += moved.executions;
                emails += moved.emails;
                if (moved.executions === 0 && moved.emails === 0) break;
              }
              details = { executionsArchived: executions, emailsArchived: emails };
            }
            return { outcome: { execution_id: claim.executionId, status: 'succeeded', error: null } };
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            return { outcome: { execution_id: claim.executionId, status: 'failed', error: message } };
          }
        }),
      );
    },
  };
}
