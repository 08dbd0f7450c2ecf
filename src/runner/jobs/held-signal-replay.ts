import type { JobType } from '../../pipelines/index.js';
import type { CuratorDeps } from '../deps.js';
import type { SignalJob } from '../../requests/job-request.js';
import type { Walk } from '../pages/drive.js';
import { readRules } from '../pages/rules.js';
import { loadSignal, signalPlan } from '../plans/signal-plan.js';
import type { ReplayTarget } from '../../store/rows.js';
import type { HeldReplay } from './held-targets.js';

/** The signal a held execution recorded, to be decided again as the app sent it. */
export function recordedSignal(target: ReplayTarget, jobType: JobType, dryRun: boolean): SignalJob {
  const recorded = target.trigger_data;
  return {
    kind: 'signal',
    jobType,
    signalId: target.period_key,
    userId: target.user_id ?? target.subject_key,
    confidence: typeof recorded.confidence === 'number' ? recorded.confidence : target.confidence_score,
    signalCount: typeof recorded.signal_count === 'number' ? recorded.signal_count : target.signal_count,
    eventTimestamp: typeof recorded.event_timestamp === 'string' ? recorded.event_timestamp : null,
    context: (recorded.context as Record<string, unknown> | undefined) ?? {},
    contextCleaned: recorded.context_cleaned === true,
    problem: null,
    dryRun,
  };
}

/**
 * A page of held realtime signals, each decided again from the signal it recorded, through every check, one
 * signal per page (the walk takes one page at a time, so each sees what the one before it sent: the per-child and
 * per-type caps): a held crisis alert long past its SLA is escalated, not sent late. The last carries the replay's
 * `cursor`.
 */
export async function takeHeldSignals(deps: CuratorDeps, walk: Walk, replay: HeldReplay, targets: readonly ReplayTarget[], cursor: string): Promise<void> {
  const { jobType, dryRun } = replay.request;
  const rules = await readRules(deps, jobType);
  for (const [index, target] of targets.entries()) {
    if (!walk.wantsMore()) return;
    const row = await loadSignal(deps, recordedSignal(target, jobType, dryRun), rules.policy);
    await walk.take(signalPlan(deps, row), { rows: [row], rules }, index === targets.length - 1 ? cursor : null);
  }
}
