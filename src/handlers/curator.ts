import { randomUUID } from 'node:crypto';
import { MetricName } from '../curator/ports.js';
import type { CuratorDeps } from '../runner/deps.js';
import { JobRequestError } from '../runner/errors.js';
import { runJob } from '../runner/run-job.js';
import type { JobResult } from '../runner/job-result.js';
import { withFields } from '../runner/log-fields.js';
import { loadConfig } from './config.js';
import { parseCuratorEvent } from '../events/parse-curator-event.js';
import { buildDependencies } from './dependencies.js';

/** What the handler answers: the job's summary, or why the event was refused (never retried). */
export type CuratorResult = JobResult | { readonly ok: false; readonly error: string };

/** What it answers for a batch from the SQS work queue: the messages to deliver again. */
export interface SqsBatchResult {
  readonly batchItemFailures: Array<{ itemIdentifier: string }>;
}

/** The part of the Lambda context the handler reads. */
export interface InvocationContext {
  readonly awsRequestId?: string;
  readonly getRemainingTimeInMillis?: () => number;
}

interface SqsEvent {
  readonly Records: ReadonlyArray<{ readonly messageId: string; readonly body: string; readonly eventSource?: string }>;
}

function isSqsEvent(event: unknown): event is SqsEvent {
  const records = (event as { Records?: unknown } | null)?.Records;
  return Array.isArray(records) && records.every((record) => (record as { eventSource?: unknown })?.eventSource === 'aws:sqs');
}

/**
 * Builds the curator's handler over dependencies made once (on the first invocation) and reused while the
 * Lambda stays warm. An invalid event is answered with the error and counted, not thrown: EventBridge must not
 * retry garbage. A failure while running is thrown, so Lambda counts it and the async retry can resume. Messages
 * from the SQS work queue (continuations) are run one by one; a failed one is reported for redelivery.
 */
export function createCuratorHandler(dependencies: () => Promise<CuratorDeps>) {
  let built: Promise<CuratorDeps> | null = null;
  async function handle(event: SqsEvent, context?: InvocationContext): Promise<SqsBatchResult>;
  async function handle(event: unknown, context?: InvocationContext): Promise<CuratorResult>;
  async function handle(event: unknown, context: InvocationContext = {}): Promise<CuratorResult | SqsBatchResult> {
    built ??= dependencies().catch((error: unknown) => {
      built = null;
      throw error;
    });
    const deps = await built;
    const refuse = (error: string, field: string): CuratorResult => {
      deps.logger.error('invalid event', { field, error });
      deps.metrics.record({ name: MetricName.InvalidEvents, value: 1, unit: 'Count' });
      return { ok: false, error };
    };
    const runOne = async (one: unknown, delivery: 'direct' | 'work_queue'): Promise<CuratorResult> => {
      try {
        const parsed = parseCuratorEvent(one, { now: deps.clock.now(), delivery });
        if (!parsed.ok) return refuse(parsed.error, parsed.field);
        if (parsed.request.kind === 'signal' && parsed.request.problem !== null) {
          // Recorded and escalated (a crisis alert is never dropped), and still counted as an event that was wrong.
          deps.logger.error('invalid event', { error: parsed.request.problem });
          deps.metrics.record({ name: MetricName.InvalidEvents, value: 1, unit: 'Count' });
        }
        const owner = context.awsRequestId ?? randomUUID();
        const remaining = context.getRemainingTimeInMillis;
        return await runJob(
          {
            ...deps,
            // Every line of the invocation carries its Lambda request id.
            logger: withFields(deps.logger, { request_id: owner }),
            config: { ...deps.config, owner, delivery, ...(remaining ? { remainingMs: () => remaining.call(context) } : {}) },
          },
          parsed.request,
        );
      } catch (error) {
        if (error instanceof JobRequestError) return refuse(error.message, error.field);
        throw error;
      }
    };
    try {
      if (!isSqsEvent(event)) return await runOne(event, 'direct');
      const batchItemFailures: Array<{ itemIdentifier: string }> = [];
      for (const record of event.Records) {
        let body: unknown;
        try {
          body = JSON.parse(record.body);
        } catch {
          refuse(`SQS message ${record.messageId}: the body is not JSON`, 'body');
          continue;
        }
        try {
          await runOne(body, 'work_queue');
        } catch (error) {
          deps.logger.error('work queue message failed; it will be delivered again', {
            message_id: record.messageId,
            error: error instanceof Error ? error.message : String(error),
          });
          batchItemFailures.push({ itemIdentifier: record.messageId });
        }
      }
      return { batchItemFailures };
    } finally {
      await deps.metrics.flush().catch((error: unknown) => {
        deps.logger.error('metrics flush failed', { error: error instanceof Error ? error.message : String(error) });
      });
    }
  }
  return handle;
}

/** The Lambda entry point, configured from the environment. */
export const handler = createCuratorHandler(() => buildDependencies(loadConfig(process.env)));
