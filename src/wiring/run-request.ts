import { MetricName } from '../curator/ports.js';
import { parseCuratorEvent } from '../events/parse-curator-event.js';
import type { CuratorDeps } from '../runner/deps.js';
import { JobRequestError } from '../runner/errors.js';
import type { CuratorResult } from '../runner/job-result.js';
import { withFields } from '../runner/log-fields.js';
import { runJob } from '../runner/run-job.js';

/** Who runs a request and for how long: the Lambda invocation, or the ops command running a job in its own process. */
export interface Invocation {
  readonly delivery: 'direct' | 'work_queue';
  /** The run's owner (the Lambda request id): every log line of the request carries it. */
  readonly owner: string;
  readonly remainingMs?: () => number;
}

/**
 * The one way into the runner: the request contract's parse, then the job. The Lambda handler and ops (`ops health`,
 * a local what-if) both come through here, so nothing runs that the contract refused. A refused request is answered
 * with its error, logged with the field it names and counted as InvalidEvents; it is never thrown, since a retry
 * would be refused the same way. A failure while running is thrown.
 */
export async function runRequest(deps: CuratorDeps, event: unknown, invocation: Invocation): Promise<CuratorResult> {
  const refuse = (error: string, field: string) => refuseRequest(deps, error, field);
  try {
    const parsed = parseCuratorEvent(event, { now: deps.clock.now(), delivery: invocation.delivery });
    if (!parsed.ok) return refuse(parsed.error, parsed.field);
    if (parsed.request.kind === 'signal' && parsed.request.problem !== null) {
      // Recorded and escalated (a crisis alert is never dropped), and still counted as an event that was wrong.
      deps.logger.error('invalid event', { error: parsed.request.problem });
      deps.metrics.record({ name: MetricName.InvalidEvents, value: 1, unit: 'Count' });
    }
    const { owner, delivery, remainingMs } = invocation;
    return await runJob(
      {
        ...deps,
        logger: withFields(deps.logger, { request_id: owner }),
        config: { ...deps.config, owner, delivery, ...(remainingMs ? { remainingMs } : {}) },
      },
      parsed.request,
    );
  } catch (error) {
    if (error instanceof JobRequestError) return refuse(error.message, error.field);
    throw error;
  }
}

/** Answers a request that is not one: logged with the field it names, counted as InvalidEvents, never retried. */
export function refuseRequest(deps: Pick<CuratorDeps, 'logger' | 'metrics'>, error: string, field: string): CuratorResult {
  deps.logger.error('invalid event', { field, error });
  deps.metrics.record({ name: MetricName.InvalidEvents, value: 1, unit: 'Count' });
  return { ok: false, error };
}
