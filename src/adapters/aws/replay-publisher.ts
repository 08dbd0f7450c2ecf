import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { VetoReason } from '../../curator/verdict.js';
import { parseCuratorEvent } from '../../handlers/curator-event.js';
import type { JobType } from '../../pipelines/index.js';

/** What ops asks a replay to redo. */
export interface ReplayRequest {
  readonly jobType: JobType;
  readonly periodKey?: string;
  readonly userIds?: readonly string[];
  readonly vetoReason?: VetoReason;
  readonly from?: string;
  readonly to?: string;
  readonly dryRun?: boolean;
}

/** EventBridge refused the event; `code` is its error code. */
export class ReplayRejectedError extends Error {
  override readonly name = 'ReplayRejectedError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The exact replay event of DESIGN.md section 2, as PutEvents takes it. */
export function replayEntry(request: ReplayRequest) {
  const { jobType, ...rest } = request;
  const detail = Object.fromEntries(Object.entries({ jobType, retry: true, ...rest }).filter(([, value]) => value !== undefined));
  return { Source: 'storytailor.manual', DetailType: 'retry', Detail: JSON.stringify(detail), EventBusName: 'default' };
}

/**
 * Puts a replay on the default bus, where the realtime-signals rule delivers it to the curator. The event is
 * checked against the curator's own event contract first, so ops cannot publish one the curator would refuse.
 * Returns the EventBridge event id.
 */
export async function publishReplay(client: EventBridgeClient, request: ReplayRequest): Promise<string> {
  const entry = replayEntry(request);
  const parsed = parseCuratorEvent({ source: entry.Source, 'detail-type': entry.DetailType, detail: JSON.parse(entry.Detail) });
  if (!parsed.ok) throw new ReplayRejectedError('InvalidReplay', parsed.error);
  const result = await client.send(new PutEventsCommand({ Entries: [entry] }));
  const [answer] = result.Entries ?? [];
  if ((result.FailedEntryCount ?? 0) > 0 || !answer?.EventId) {
    throw new ReplayRejectedError(answer?.ErrorCode ?? 'Unknown', answer?.ErrorMessage ?? 'EventBridge did not accept the replay');
  }
  return answer.EventId;
}
