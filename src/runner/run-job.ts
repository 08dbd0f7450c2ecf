import { pipelineOf } from '../pipelines/index.js';
import { runHeldReplay, runPeriod } from './batch-job.js';
import type { CuratorDeps } from './deps.js';
import { JobRequestError } from './errors.js';
import { runHealth } from './health-job.js';
import type { JobRequest, ReplayJob } from './job-request.js';
import { runShard } from './shard-job.js';
import { replaySignals, runSignal } from './signal-job.js';
import type { JobSummary } from './tally.js';

/** A replay of held actions without a range looks back this far. */
const defaultReplayRangeMs = 7 * 86_400_000;

function replayRange(deps: CuratorDeps, request: ReplayJob): { from: Date; to: Date } {
  const to = request.to ?? deps.clock.now();
  const from = request.from ?? new Date(to.getTime() - defaultReplayRangeMs);
  if (from.getTime() >= to.getTime()) throw new JobRequestError('detail.from', 'must be before detail.to');
  return { from, to };
}

/**
 * Runs one job: a scheduled firing, an ops replay, an app signal or the health check.
 *
 * @example
 * const summary = await runJob(deps, { kind: 'health' });
 */
export async function runJob(deps: CuratorDeps, request: JobRequest): Promise<JobSummary> {
  switch (request.kind) {
    case 'health':
      return runHealth(deps);
    case 'signal':
      return runSignal(deps, request);
    case 'scheduled':
      return runPeriod(deps, request);
    case 'shard':
      return runShard(deps, request);
    case 'replay': {
      const realtime = pipelineOf(request.jobType).period === 'signal';
      if (realtime) {
        if (request.periodKey !== null) {
          throw new JobRequestError('detail.periodKey', `${request.jobType} is realtime; replay it by vetoReason and time range`);
        }
        return replaySignals(deps, request, replayRange(deps, request));
      }
      if (request.vetoReason !== null || request.from !== null || request.to !== null) {
        if (request.periodKey !== null) {
          throw new JobRequestError('detail.periodKey', 'give either a periodKey or a vetoReason and time range, not both');
        }
        return runHeldReplay(deps, request, replayRange(deps, request));
      }
      return runPeriod(deps, request);
    }
    default: {
      const unknown: never = request;
      throw new JobRequestError('detail', `unknown request ${JSON.stringify(unknown)}`);
    }
  }
}
