import { publishReplay, type ReplayRequest } from '../adapters/aws/replay-publisher.js';
import { parseSwitch } from '../curator/switches.js';
import { globalSwitchSlug, killSwitchPath, pipelineOf, ruleName, type JobType } from '../pipelines/index.js';
import type { Shown } from './command.js';
import type { Attribution, OpsContext } from './context.js';
import { ExitCode, explain, OpsError } from './errors.js';
import { followEvent, type Follow } from './follow.js';
import { recordOverride } from './overrides.js';
import { readParameters } from './parameters.js';
import { readRuleState } from './rules.js';

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
      throw new OpsError(ExitCode.usage, `not a valid replay (nothing was published): ${asReplayFlags((error as Error).message)}`, { cause: error });
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

/**
 * Refuses, before anything is published or written, a replay the curator would not act on: one the realtime rule
 * would not deliver (disabled by stop-all, or not deployed), and one whose every decision its switches would veto
 * (the pipeline's or `all` off, or unreadable for a pipeline that is not critical), unless it is a dry run.
 */
export async function checkReplayWouldRun(context: OpsContext, jobType: JobType, dryRun: boolean): Promise<void> {
  const realtime = 'realtime-signals';
  const state = await readRuleState(context, realtime);
  if (state !== 'ENABLED') {
    throw new OpsError(
      ExitCode.usage,
      `not published: ${ruleName(context.env, realtime)}, which delivers replays to the curator, is ${state}; nothing would reach it. ` +
        (state === 'DISABLED' ? 'Start the rules first: npm run ops -- start-all --reason ...' : 'Deploy the stack first.'),
    );
  }
  if (dryRun) return;
  const values = await readParameters(context);
  const pipeline = pipelineOf(jobType);
  for (const slug of [pipeline.slug, globalSwitchSlug]) {
    const path = killSwitchPath(context.env, slug);
    const switchState = parseSwitch(values.get(path));
    if (switchState === 'off' || (switchState === 'unknown' && !pipeline.critical)) {
      throw new OpsError(
        ExitCode.usage,
        `not published: ${path} is ${values.get(path) ?? 'missing'}, so the curator would veto every decision of the replay KILL_SWITCH_ACTIVE. ` +
          `Turn it on first (npm run ops -- enable ${slug} --reason ...), or add --dry-run to see what it would do.`,
      );
    }
  }
}
