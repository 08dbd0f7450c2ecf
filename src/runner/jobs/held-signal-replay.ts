import type { JobType } from '../../pipelines/index.js';
import type { CuratorDeps } from '../deps.js';
import type { SignalJob } from '../job-request.js';
import type { DryRunResult, RunResult } from '../job-result.js';
import { pageWork } from '../pages/drive.js';
import { readRules } from '../pages/rules.js';
import { loadSignal, signalPlan } from '../plans/signal-plan.js';
import type { ReplayTarget } from '../../store/rows.js';
import { replayHeld, type HeldReplay } from './held-replay.js';

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
 * A replay of held realtime signals: each held execution is decided again from the signal it recorded, through
 * every check, one signal per page and one page at a time, so each sees what the one before it sent (the per-child
 * and per-type caps): a held crisis alert long past its SLA is escalated, not sent late.
 */
export function replayHeldSignals(deps: CuratorDeps, replay: HeldReplay): Promise<RunResult | DryRunResult> {
  const { jobType } = replay.request;
  return replayHeld(
    deps,
    replay,
    async (targets, options, deps) => {
      const rules = await readRules(deps, jobType);
      return targets.map((target) => {
        const signal = recordedSignal(target, jobType, replay.request.dryRun);
        return {
          cursor: null,
          decide: async (spend) => {
            const row = await loadSignal(deps, signal, rules.policy);
            return pageWork(deps, signalPlan(deps, [row]), [row], rules, null, options).decide(spend);
          },
        };
      });
    },
    { pagesInFlight: 1 },
  );
}
