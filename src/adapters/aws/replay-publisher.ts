import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DetailType, EventSource, replayDetailOf, replayEvent, type ReplayDetail } from '../../events/curator-events.js';
import { parseCuratorEvent } from '../../events/parse-curator-event.js';

/** What ops asks a replay to redo. */
export type ReplayRequest = ReplayDetail;

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
  return { Source: EventSource.manual, DetailType: DetailType.replay, Detail: JSON.stringify(replayDetailOf(request)), EventBusName: 'default' };
}

/**
 * Puts a replay on the default bus, where the realtime-signals rule delivers it to the curator. The event is
 * checked against the curator's own event contract first, so ops cannot publish one the curator would refuse.
 * Returns the EventBridge event id.
 */
export async function publishReplay(client: EventBridgeClient, request: ReplayRequest): Promise<string> {
  const entry = replayEntry(request);
  const parsed = parseCuratorEvent(replayEvent(request));
  if (!parsed.ok) throw new ReplayRejectedError('InvalidReplay', parsed.error);
  const result = await client.send(new PutEventsCommand({ Entries: [entry] }));
  const [answer] = result.Entries ?? [];
  if ((result.FailedEntryCount ?? 0) > 0 || !answer?.EventId) {
    throw new ReplayRejectedError(answer?.ErrorCode ?? 'Unknown', answer?.ErrorMessage ?? 'EventBridge did not accept the replay');
  }
  return answer.EventId;
}
