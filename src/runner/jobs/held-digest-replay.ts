import { groupBy } from '../../group-by.js';
import { firingOfPeriod } from '../../pipelines/index.js';
import type { CuratorDeps } from '../deps.js';
import type { DryRunResult, RunResult } from '../job-result.js';
import { pageWork, type PageWork } from '../pages/drive.js';
import { readRules } from '../pages/rules.js';
import { withPlan } from '../plans/plan-for.js';
import { replayHeld, type HeldReplay } from './held-replay.js';

/**
 * A replay of held actions of a scheduled pipeline (held digests, insights, reports, credits): every execution in
 * the range vetoed for the replay's reason (or failed, or of unknown outcome) is decided again through every check,
 * with the facts of now: each page of held executions is split by the period it was decided for, and each part
 * loaded as that period's candidates among its subjects.
 */
export function replayHeldDigests(deps: CuratorDeps, replay: HeldReplay): Promise<RunResult | DryRunResult> {
  const { jobType } = replay.request;
  return replayHeld(deps, replay, async (targets, options, deps) => {
    const parts: PageWork[] = [];
    for (const [key, group] of groupBy(targets, (target) => target.period_key)) {
      const firing = firingOfPeriod(jobType, key);
      if (firing === null) continue;
      const subjects = group.map((target) => target.subject_key);
      parts.push(
        await withPlan(deps, jobType, firing, {}, async (plan) => {
          const rules = await readRules(deps, jobType);
          const rows = await plan.load({ after: null, limit: deps.config.pageSize, subjects, through: null }, rules.policy);
          return pageWork(deps, plan, rows, rules, null, options);
        }),
      );
    }
    return parts;
  });
}
