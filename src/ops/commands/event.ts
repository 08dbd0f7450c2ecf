import { defineCommand, json, wordAt } from '../command.js';
import { ExitCode, OpsError } from '../errors.js';
import { answerEvent, progressOf } from '../follow.js';

/** `event <eventId>`: what the curator made of an event, as it stands now (exit 1 when it failed). */
export const event = defineCommand({
  name: 'event',
  group: 'look',
  words: '<eventId>',
  help: 'what the curator made of an event ops published (a replay, a dry run)',
  options: { ...json },
  async run({ context, args, shown }) {
    const eventId = wordAt(args, 0, 'the event id (ops replay prints it)');
    const progress = await progressOf(context, eventId);
    if (progress.attempts.length === 0 && progress.dry_run === null) {
      throw new OpsError(ExitCode.failed, `nothing carries event ${eventId}: the curator has not taken it yet, or ops did not publish it`);
    }
    return answerEvent(context, progress, eventId, shown);
  },
});
