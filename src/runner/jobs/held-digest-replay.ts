import { groupBy } from '../../group-by.js';
import { firingOfPeriod, type JobType } from '../../pipelines/index.js';
import type { ReplayTarget } from '../../store/rows.js';
import type { CuratorDeps } from '../deps.js';
import type { Walk } from '../pages/drive.js';
import { loadPage } from '../pages/page.js';
import { planFor } from '../plans/plan-for.js';

/**
 * A page of held actions of a scheduled pipeline (held digests, insights, reports, credits), decided again through
 * every check with the facts of now (a replay's, or the quiet-hours release's): split by the period each was decided
 * for, and each part loaded as that period's candidates among its subjects. The last part carries the walk's `cursor`.
 */
export async function takeHeldDigests(deps: CuratorDeps, walk: Walk, jobType: JobType, targets: readonly ReplayTarget[], cursor: string): Promise<void> {
  const parts = [...groupBy(targets, (target) => target.period_key)].flatMap(([key, group]) => {
    const firing = firingOfPeriod(jobType, key);
    return firing === null ? [] : [{ firing, group }];
  });
  for (const [index, { firing, group }] of parts.entries()) {
    if (!walk.wantsMore()) return;
    const last = index === parts.length - 1;
    const plan = planFor(deps, jobType, firing);
    const subjects = group.map((target) => target.subject_key);
    const page = await loadPage(deps, plan, { after: null, limit: deps.config.pageSize, subjects, through: null });
    await walk.take(plan, page, last ? cursor : null);
  }
}
