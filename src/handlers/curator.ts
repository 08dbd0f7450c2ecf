import { randomUUID } from 'node:crypto';
import { MetricName } from '../curator/ports.js';
import type { CuratorDeps } from '../runner/deps.js';
import { JobRequestError } from '../runner/errors.js';
import { runJob } from '../runner/run-job.js';
import type { JobSummary } from '../runner/tally.js';
import { loadConfig } from './config.js';
import { parseCuratorEvent } from './curator-event.js';
import { buildDependencies } from './dependencies.js';

/** What the handler answers: the job's summary, or why the event was refused (never retried). */
export type CuratorResult = JobSummary | { readonly ok: false; readonly error: string };

/** The part of the Lambda context the handler reads. */
export interface InvocationContext {
  readonly awsRequestId?: string;
}

/**
 * Builds the curator's handler over dependencies made once (on the first invocation) and reused while the
 * Lambda stays warm. An invalid event is answered with the error and counted, not thrown: EventBridge must not
 * retry garbage. A failure while running is thrown, so Lambda counts it and the async retry can resume.
 */
export function createCuratorHandler(dependencies: () => Promise<CuratorDeps>) {
  let built: Promise<CuratorDeps> | null = null;
  return async (event: unknown, context: InvocationContext = {}): Promise<CuratorResult> => {
    built ??= dependencies().catch((error: unknown) => {
      built = null;
      throw error;
    });
    const deps = await built;
    const refuse = (error: string): CuratorResult => {
      deps.logger.error('invalid event', { error });
      deps.metrics.record({ name: MetricName.InvalidEvents, value: 1, unit: 'Count' });
      return { ok: false, error };
    };
    try {
      const parsed = parseCuratorEvent(event);
      if (!parsed.ok) return refuse(parsed.error);
      const owner = context.awsRequestId ?? randomUUID();
      return await runJob({ ...deps, config: { ...deps.config, owner } }, parsed.request);
    } catch (error) {
      if (error instanceof JobRequestError) return refuse(error.message);
      throw error;
    } finally {
      await deps.metrics.flush().catch((error: unknown) => {
        deps.logger.error('metrics flush failed', { error: error instanceof Error ? error.message : String(error) });
      });
    }
  };
}

/** The Lambda entry point, configured from the environment. */
export const handler = createCuratorHandler(() => buildDependencies(loadConfig(process.env)));
