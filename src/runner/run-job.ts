import { checkRequest, replaysHeldActions, resolveReplayRange } from '../requests/request-contract.js';
import type { CuratorDeps } from './deps.js';
import { JobRequestError } from './errors.js';
import type { JobRequest, ReplayJob } from '../requests/job-request.js';
import type { JobResult } from './job-result.js';
import { runHealth } from './jobs/health.js';
import { runCrisisCheck } from './jobs/crisis-check.js';
import { replayHeld } from './jobs/held-replay.js';
import type { HeldReplay } from './jobs/held-targets.js';
import { runRelease } from './jobs/release.js';
import { runPeriod } from './jobs/scheduled-run.js';
import { runShard } from './jobs/shard.js';
import { runSignal } from './jobs/signal.js';
import { runWhatIf } from './jobs/what-if.js';

/** A replay of held actions with its range resolved by the request contract (defaults applied). */
function heldReplay(deps: CuratorDeps, request: ReplayJob): HeldReplay {
  const range = resolveReplayRange(request, deps.clock.now(), deps.config.delivery);
  if (!range.ok) throw new JobRequestError(range.refusal.field, range.refusal.reason);
  return { request, from: range.from, to: range.to };
}

/**
 * Runs one job: a scheduled firing, an ops replay, an app signal, a shard of a split run, the health check or a
 * what-if (the morning ops summary runs in its own function: src/handlers/ops-summary.ts). A
 * request the contract refuses (a period that does not exist or is not due, a range from the future) throws
 * {@link JobRequestError} before anything is taken or written.
 *
 * @example
 * const result = await runJob(deps, { kind: 'health' });
 */
export async function runJob(deps: CuratorDeps, request: JobRequest): Promise<JobResult> {
  const refusal = checkRequest(request, { now: deps.clock.now(), delivery: deps.config.delivery });
  if (refusal !== null) throw new JobRequestError(refusal.field, refusal.reason);
  switch (request.kind) {
    case 'health':
      return runHealth(deps);
    case 'ops_summary':
      // Its own function, so the charts it draws stay out of the curator's bundle and cold start.
      throw new JobRequestError('detail.jobType', `ops_summary runs in its own function, storytailor-ops-summary-${deps.config.environment}, which its Scheduler schedule invokes`);
    case 'what_if':
      return runWhatIf(deps, request);
    case 'signal':
      return runSignal(deps, request);
    case 'scheduled':
      return runPeriod(deps, request);
    case 'shard':
      return runShard(deps, request);
    case 'crisis_check':
      return runCrisisCheck(deps, request);
    case 'release':
      return runRelease(deps, request);
    case 'replay': {
      return replaysHeldActions(request) ? replayHeld(deps, heldReplay(deps, request)) : runPeriod(deps, request);
    }
    default: {
      const unknown: never = request;
      throw new JobRequestError('detail', `unknown request ${JSON.stringify(unknown)}`);
    }
  }
}
