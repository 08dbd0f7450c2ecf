import { publishReplay, type ReplayRequest } from '../adapters/aws/replay-publisher.js';
import type { Shown } from './command.js';
import type { Attribution, OpsContext } from './context.js';
import { ExitCode, explain, OpsError } from './errors.js';
import { followEvent, type Follow } from './follow.js';
import { recordOverride } from './overrides.js';

/** The replay event's fields as ops typed them: the flags of `ops replay`. */
const replayFlags: ReadonlyArray<[string, string]> = [
  ['detail.periodKey', '--period'],
  ['detail.vetoReason', '--veto-reason'],
  ['detail.userIds', '--users'],
  ['detail.from', '--from'],
  ['detail.to', '--to'],
  ['detail.jobType', 'the jobType'],
];

/** A refusal of the replay event, in the words of the command line (`--period: …` rather than `detail.periodKey: …`). */
export function asReplayFlags(message: string): string {
  return replayFlags.reduce((text, [field, flag]) => text.replaceAll(field, flag), message);
}

/**
 * Puts a replay event (DESIGN.md section 2) on the default bus and records it as a `replay` override; with `wait`,
 * follows it until the curator is done. `ops replay` and `ops settle --failed` both publish through this.
 */
export async function publishReplayRecorded(
  context: OpsContext,
  request: ReplayRequest,
  who: Attribution,
  { wait, shown }: { readonly wait: Follow | null; readonly shown: Shown },
): Promise<ExitCode> {
  let eventId: string;
  try {
    eventId = await publishReplay(context.events, request, context.clock.now());
  } catch (error) {
    if ((error as Error).name === 'ReplayRejectedError' && (error as { code?: string }).code === 'InvalidReplay') {
      throw new OpsError(ExitCode.usage, `not a valid replay (nothing was published): ${asReplayFlags((error as Error).message)}`);
    }
    throw explain(error, 'publishing the replay');
  }
  if (!shown.json) context.out(`replay of ${request.jobType} published: event ${eventId}`);
  const written = await recordOverride(context, {
    pipelineType: request.jobType,
    overrideType: 'replay',
    actor: who.actor,
    reason: who.reason,
    ticket: who.ticket,
    details: { environment: context.env, eventId, ...request },
    now: context.clock.now(),
  });
  if (!written.recorded) context.err(`WARNING: the replay was published, but the human_overrides row was not written: ${written.why}`);
  if (wait === null) {
    if (shown.json) context.out(JSON.stringify({ event_id: eventId, recorded: written.recorded }, null, 2));
    else context.out(`see what it did: npm run ops -- event ${eventId} --env ${context.env}`);
    return written.recorded ? ExitCode.ok : ExitCode.notRecorded;
  }
  const followed = await followEvent(context, eventId, wait, shown);
  return followed === ExitCode.ok && !written.recorded ? ExitCode.notRecorded : followed;
}
