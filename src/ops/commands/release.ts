import { when } from '../../format/table.js';
import { defineCommand, json, reasonOf, recorded, wordAt } from '../command.js';
import { ExitCode } from '../errors.js';
import { changeLegalHold } from '../legal-holds.js';

/** `release <userId> --reason …`: lifts a legal hold; the next data retention run treats the records as any others. */
export const release = defineCommand({
  name: 'release',
  group: 'act',
  words: '<userId>',
  help: 'release a legal hold: the next data retention run archives their old records as anyone\'s',
  options: { ...recorded, ...json },
  async run({ context, args, options, who, shown }) {
    const userId = wordAt(args, 0, 'the user id');
    const changed = await changeLegalHold(context, userId, false, reasonOf(who, options));
    if (shown.json) context.out(JSON.stringify(changed, null, 2));
    else context.out(`${userId} released from legal hold at ${when(changed.hold!.released_at)} UTC (held since ${when(changed.hold!.placed_at)}); override ${changed.override_id}`);
    return ExitCode.ok;
  },
});
