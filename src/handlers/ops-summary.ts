import { randomUUID } from 'node:crypto';
import { MetricName } from '../curator/ports.js';
import { parseCuratorEvent } from '../events/parse-curator-event.js';
import { runOpsSummary } from '../ops-summary/job.js';
import type { CuratorDeps } from '../runner/deps.js';
import type { OpsSummaryResult } from '../runner/job-result.js';
import { withFields } from '../runner/log-fields.js';
import type { InvocationContext } from './curator.js';
import { loadConfig } from '../wiring/config.js';
import { buildDependencies } from '../wiring/dependencies.js';
import { errorFields } from '../errors/error-fields.js';

/** What the ops summary function answers: the summary's outcome, or why the event was refused (never retried). */
export type OpsSummaryAnswer = OpsSummaryResult | { readonly ok: false; readonly error: string };

/**
 * The morning ops summary's own function (`storytailor-ops-summary-{env}`), invoked only by its EventBridge Scheduler
 * schedule: the same request contract as the curator (a direct invocation, nothing dated ahead of the clock), the
 * same adapters, and the charts of the monthly report, which stay out of the curator's bundle and cold start. A
 * refused send is thrown, so the Scheduler's retry claims the day again.
 */
export function createOpsSummaryHandler(dependencies: () => Promise<CuratorDeps>) {
  let built: Promise<CuratorDeps> | null = null;
  return async function handle(event: unknown, context: InvocationContext = {}): Promise<OpsSummaryAnswer> {
    built ??= dependencies().catch((error: unknown) => {
      built = null;
      throw error;
    });
    const deps = await built;
    try {
      const refuse = (error: string, field: string): OpsSummaryAnswer => {
        deps.logger.error('invalid event', { field, error });
        deps.metrics.record({ name: MetricName.InvalidEvents, value: 1, unit: 'Count' });
        return { ok: false, error };
      };
      const parsed = parseCuratorEvent(event, { now: deps.clock.now() });
      if (!parsed.ok) return refuse(parsed.error, parsed.field);
      if (parsed.request.kind !== 'ops_summary') return refuse(`detail.jobType: this function runs the morning ops summary only, not ${parsed.request.kind}`, 'detail.jobType');
      const owner = context.awsRequestId ?? randomUUID();
      return await runOpsSummary({ ...deps, logger: withFields(deps.logger, { request_id: owner }), config: { ...deps.config, owner } }, parsed.request);
    } finally {
      await deps.metrics.flush().catch((error: unknown) => {
        deps.logger.error('metrics flush failed', errorFields(error));
      });
    }
  };
}

/** The Lambda entry point, configured from the environment. */
export const handler = createOpsSummaryHandler(() => buildDependencies(loadConfig(process.env)));
