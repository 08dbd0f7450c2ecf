import { storeFunctions } from '../../store/functions.js';
import { formatTable, when } from '../../format/table.js';
import { defineCommand, json } from '../command.js';
import { ExitCode } from '../errors.js';
import { read } from '../look.js';

/** `holds [--released]`: the legal holds in force (and, with --released, those lifted), oldest first. */
export const holds = defineCommand({
  name: 'holds',
  group: 'look',
  words: '',
  help: 'the legal holds in force: whose records data retention keeps, since when, why and by whom',
  options: { released: { type: 'boolean', help: 'the released ones too' }, ...json },
  async run({ context, options, shown }) {
    const store = await context.store();
    const found = await read('reading the legal holds', () => store.call(storeFunctions.legalHolds, { released: options.released }));
    if (shown.json) {
      context.out(JSON.stringify(found, null, 2));
      return ExitCode.ok;
    }
    if (found.length === 0) {
      context.out(options.released ? 'no legal hold was ever placed' : 'no legal hold in force');
      return ExitCode.ok;
    }
    const rows = found.map((hold) => [
      hold.user_id,
      when(hold.placed_at),
      hold.released_at === null ? 'in force' : `released ${when(hold.released_at)}`,
      hold.ticket ?? '',
      hold.placed_by,
      hold.known_user ? hold.reason : `${hold.reason} (not in the app's users)`,
    ]);
    for (const line of formatTable(['family', 'placed (UTC)', 'state', 'ticket', 'placed by', 'reason'], rows)) context.out(line);
    return ExitCode.ok;
  },
});
