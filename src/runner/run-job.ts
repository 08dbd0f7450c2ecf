import { pipelineOf } from '../pipelines/index.js';
import type { CuratorDeps } from './deps.js';
import { JobRequestError } from './errors.js';
import type { JobRequest, ReplayJob } from './job-request.js';
import type { JobResult } from './job-result.js';
import { runHealth } from './jobs/health.js';
import { runOpsSummary } from './jobs/ops-summary.js';
import { replayHeldDigests } from './jobs/held-digest-replay.js';
import type { HeldReplay } from './jobs/held-replay.js';
import { replayHeldSignals } from './jobs/held-signal-replay.js';
import { runPeriod } from './jobs/scheduled-run.js';
import { runShard } from './jobs/shard.js';
import { runSignal } from './jobs/signal.js';
import { runWhatIf } from './jobs/what-if.js';

/** A replay of held actions without a range looks back this far. */
const defaultReplayRangeMs = 7 * 86_400_000;

function heldReplay(deps: CuratorDeps, request: ReplayJob): HeldReplay {
  const to = request.to ?? deps.clock.now();
  const from = request.from ?? new Date(to.getTime() - defaultReplayRangeMs);
  if (from.getTime() >= to.getTime()) throw new JobRequestError('detail.from', 'must be before detail.to');
  return { request, from, to };
}

/**
 * Runs one job: a scheduled firing, an ops replay, an app signal, a shard of a split run, or the health check.
 *
 * @example
 * const result = await runJob(deps, { kind: 'health' });
 */
export async function runJob(deps: CuratorDeps, request: JobRequest): Promise<JobResult> {
  switch (request.kind) {
    case 'health':
      return runHealth(deps);
    case 'ops_summary':
      return runOpsSummary(deps, request);
    case 'what_if':
      return runWhatIf(deps, request);
    case 'signal':
      return runSignal(deps, request);
    case 'scheduled':
      return runPeriod(deps, request);
    case 'shard':
      return runShard(deps, request);
    case 'replay': {
      if (pipelineOf(request.jobType).period === 'signal') {
        if (request.periodKey !== null) {
          throw new JobRequestError('detail.periodKey', `${request.jobType} is realtime; replay it by vetoReason and time range`);
        }
        return replayHeldSignals(deps, heldReplay(deps, request));
      }
      if (request.vetoReason !== null || request.from !== null || request.to !== null) {
        if (request.periodKey !== null) {
          throw new JobRequestError('detail.periodKey', 'give either a periodKey or a vetoReason and time range, not both');
        }
        return replayHeldDigests(deps, heldReplay(deps, request));
      }
      return runPeriod(deps, request);
    }
    default: {
      const unknown: never = request;
      throw new JobRequestError('detail', `unknown request ${JSON.stringify(unknown)}`);
    }
  }
}
