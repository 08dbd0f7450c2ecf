import { when } from '../../format/table.js';
import { defineCommand, json, reasonOf, required, wordAt } from '../command.js';
import { ExitCode } from '../errors.js';
import { changeLegalHold } from '../legal-holds.js';

/**
 * `hold <userId> --reason … --ticket …`: places a legal hold, so data retention keeps the family's executions and
 * emails past 90 days until it is released. Recorded as a legal_hold override.
 */
export const hold = defineCommand({
  name: 'hold',
  group: 'act',
  words: '<userId>',
  help: "place a legal hold on a family's records: data retention neither archives nor deletes them until released",
  options: {
    reason: { type: 'string', value: '...', help: 'why, as legal gave it (required)' },
    ticket: { type: 'string', value: 'LEGAL-12', help: "legal's reference (required)" },
    ...json,
  },
  async run({ context, args, options, who, shown }) {
    const userId = wordAt(args, 0, 'the user id');
    const by = { ...reasonOf(who, options), ticket: required(options.ticket, 'ticket') };
    const changed = await changeLegalHold(context, userId, true, by);
    if (shown.json) context.out(JSON.stringify(changed, null, 2));
    else {
      context.out(`${userId} on legal hold since ${when(changed.hold!.placed_at)} UTC (${by.ticket}); override ${changed.override_id}`);
      if (!changed.known_user) context.out('  the app has no such user: their curator records are held all the same');
      context.out('  data retention keeps their executions and emails until: npm run ops -- release <userId> --reason ...');
    }
    return ExitCode.ok;
  },
});
