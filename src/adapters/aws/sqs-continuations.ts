import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Continuations } from '../../curator/ports.js';

/**
 * Continuations through the curator's SQS work queue, whose event source mapping delivers them back to the
 * curator (the function allows that recursive loop; Lambda would otherwise stop it).
 *
 * @example
 * const continuations = sqsContinuations(new SQSClient({}), process.env.CURATOR_WORK_QUEUE_URL!);
 */
export function sqsContinuations(client: SQSClient, queueUrl: string): Continuations {
  return {
    async continueWith(event) {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(event) }));
    },
  };
}

/** Continuations kept in memory, for tests and the local run: drain them into the handler. */
export function memoryContinuations(): Continuations & { readonly queued: Array<Record<string, unknown>> } {
  const queued: Array<Record<string, unknown>> = [];
  return {
    queued,
    async continueWith(event) {
      queued.push({ ...event });
    },
  };
}
