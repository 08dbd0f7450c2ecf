import { randomUUID } from 'node:crypto';
import type { CuratorDeps } from '../runner/deps.js';
import type { CuratorResult } from '../runner/job-result.js';
import { refuseRequest, runRequest } from '../wiring/run-request.js';
import { loadConfig } from '../wiring/config.js';
import { buildDependencies } from '../wiring/dependencies.js';
import { errorFields } from '../errors/error-fields.js';

export type { CuratorResult } from '../runner/job-result.js';

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
 * Lambda stays warm. Each event goes through runRequest: an invalid one is answered with the error and counted, not
 * thrown (EventBridge must not retry garbage). A failure while running is thrown, so Lambda counts it and the async
 * retry can resume. Messages from the SQS work queue (continuations) are run one by one; a failed one is reported
 * for redelivery.
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
    const runOne = (one: unknown, delivery: 'direct' | 'work_queue'): Promise<CuratorResult> => {
      const remaining = context.getRemainingTimeInMillis;
      return runRequest(deps, one, {
        delivery,
        owner: context.awsRequestId ?? randomUUID(),
        ...(remaining ? { remainingMs: () => remaining.call(context) } : {}),
      });
    };
    try {
      if (!isSqsEvent(event)) return await runOne(event, 'direct');
      const batchItemFailures: Array<{ itemIdentifier: string }> = [];
      for (const record of event.Records) {
        let body: unknown;
        try {
          body = JSON.parse(record.body);
        } catch {
          // Not JSON: its redelivery would be the same, so it is refused, not reported for another try.
          refuseRequest(deps, `SQS message ${record.messageId}: the body is not JSON`, 'body');
          continue;
        }
        try {
          await runOne(body, 'work_queue');
        } catch (error) {
          deps.logger.error('work queue message failed; it will be delivered again', {
            message_id: record.messageId,
            ...errorFields(error),
          });
          batchItemFailures.push({ itemIdentifier: record.messageId });
        }
      }
      return { batchItemFailures };
    } finally {
      await deps.metrics.flush().catch((error: unknown) => {
        deps.logger.error('metrics flush failed', errorFields(error));
      });
    }
  }
  return handle;
}

/** The Lambda entry point, configured from the environment. */
export const handler = createCuratorHandler(() => buildDependencies(loadConfig(process.env)));
