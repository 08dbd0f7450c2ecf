import { isJobType } from '../pipelines/index.js';
import { laterRequestSeconds, settledPipelines } from '../runner/jobs/settle-unknown-emails.js';
import { storeFunctions, type AnswerOf } from '../store/functions.js';
import { when } from '../format/table.js';

export type UnknownBatch = AnswerOf<typeof storeFunctions.unknownEmails>[number];

/** What the settlement's rule makes of a batch, as on-call reads it. */
export function stateOf(batch: UnknownBatch, graceMinutes: number): string {
  if (!batch.past_grace) {
    const ends = new Date(new Date(batch.recorded_at).getTime() + graceMinutes * 60_000);
    return `awaiting SendGrid's events (grace ends ${when(ends).slice(11, 16)} UTC)`;
  }
  if (!isJobType(batch.pipeline_type) || !settledPipelines.includes(batch.pipeline_type)) {
    return 'in doubt: a crisis alert is taken again on redelivery and by its own check; ops settle decides';
  }
  if (!batch.later_processed) return `in doubt: no Processed events of requests made ${laterRequestSeconds / 60} minutes after it (is Processed on?)`;
  if (!batch.webhook_clean) {
    return batch.refusals > 0 ? `in doubt: the webhook refused ${batch.refusals} deliveries since` : 'in doubt: the webhook had Lambda errors or throttles since';
  }
  return "SendGrid never received it: settled failed and replayed at the webhook's next delivery or the next health check";
}

