import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { replayDetailOf, replayEvent, type ReplayDetail } from '../../events/curator-events.js';
import { DetailType, EventSource } from '../../requests/event-sources.js';
import { parseCuratorEvent } from '../../events/parse-curator-event.js';

/** What ops asks a replay to redo. */
export type ReplayRequest = ReplayDetail;

/** EventBridge refused the event, or the curator would (`InvalidReplay`, naming `field`); `code` says which. */
export class ReplayRejectedError extends Error {
  override readonly name = 'ReplayRejectedError';
  constructor(
    readonly code: string,
    message: string,
    readonly field: string | null = null,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The exact replay event of DESIGN.md section 2, as PutEvents takes it. */
export function replayEntry(request: ReplayRequest) {
  return { Source: EventSource.manual, DetailType: DetailType.replay, Detail: JSON.stringify(replayDetailOf(request)), EventBusName: 'default' };
}

/**
 * Puts a replay on the default bus, where the realtime-signals rule delivers it to the curator. The event is
 * checked first against the curator's own event and request contracts, by the clock `now` (a period not yet due, a
 * range from the future), so ops cannot publish one the curator would refuse. Returns the EventBridge event id.
 */
export async function publishReplay(client: EventBridgeClient, request: ReplayRequest, now: Date): Promise<string> {
  const entry = replayEntry(request);
  const parsed = parseCuratorEvent(replayEvent(request), { now });
  if (!parsed.ok) throw new ReplayRejectedError('InvalidReplay', parsed.error, parsed.field);
  const result = await client.send(new PutEventsCommand({ Entries: [entry] }));
  const [answer] = result.Entries ?? [];
  if ((result.FailedEntryCount ?? 0) > 0 || !answer?.EventId) {
    throw new ReplayRejectedError(answer?.ErrorCode ?? 'Unknown', answer?.ErrorMessage ?? 'EventBridge did not accept the replay');
  }
  return answer.EventId;
}
