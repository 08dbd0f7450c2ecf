import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Continuations } from '../../curator/ports.js';
import { eventOf } from '../../events/curator-events.js';

/** SendMessageBatch takes at most ten messages. */
const sqsBatchSize = 10;

/**
 * Continuations through the curator's SQS work queue, whose event source mapping delivers them back to the
 * curator (the function allows that recursive loop; Lambda would otherwise stop it). Events go ten to a
 * request; an entry SQS refuses fails the call, naming it, after the SDK's own retries.
 *
 * @example
 * const continuations = sqsContinuations(new SQSClient({}), process.env.CURATOR_WORK_QUEUE_URL!);
 */
export function sqsContinuations(client: SQSClient, queueUrl: string): Continuations {
  const resend: Continuations['resend'] = async (events, options = {}) => {
    for (let start = 0; start < events.length; start += sqsBatchSize) {
      const batch = events.slice(start, start + sqsBatchSize);
      const answer = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((event, index) => ({
            Id: String(start + index),
            MessageBody: JSON.stringify(event),
            ...(options.delaySeconds ? { DelaySeconds: options.delaySeconds } : {}),
          })),
        }),
      );
      const refused = answer.Failed ?? [];
      if (refused.length > 0) {
        const detail = refused.map((entry) => `event ${entry.Id}: ${entry.Code ?? 'error'} ${entry.Message ?? ''}`.trim()).join('; ');
        throw new Error(`the work queue refused ${refused.length} of ${events.length} events: ${detail}`);
      }
    }
  };
  return eventContinuations(resend);
}

/** Continuations over anything that queues events: each request is written as its event, as the handler reads it back. */
export function eventContinuations(resend: Continuations['resend']): Continuations {
  return { resend, continueWith: (requests, options) => resend(requests.map(eventOf), options) };
}

/**
 * Continuations kept in memory, for tests and the local run: drain `queued` into the handler. `delays` holds each
 * queued event's delay in seconds, in the same order.
 */
export function memoryContinuations(): Continuations & { readonly queued: Array<Record<string, unknown>>; readonly delays: number[] } {
  const queued: Array<Record<string, unknown>> = [];
  const delays: number[] = [];
  const continuations = eventContinuations(async (events, options = {}) => {
    for (const event of events) {
      queued.push({ ...event });
      delays.push(options.delaySeconds ?? 0);
    }
  });
  return { ...continuations, queued, delays };
}
