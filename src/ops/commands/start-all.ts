import { defineCommand, reasonOf, recorded } from '../command.js';
import { ExitCode } from '../errors.js';
import { setRules } from '../rules.js';

/** `start-all`: enables the eight rules again, the inverse of `stop-all`; kill switches are left as they are. */
export const startAll = defineCommand({
  name: 'start-all',
  group: 'act',
  words: '',
  help: 'enable the eight rules again',
  options: { ...recorded },
  async run({ context, options, who }) {
    const code = await setRules(context, 'ENABLED', reasonOf(who, options));
    if (code === ExitCode.ok) context.out('All eight rules are enabled. Kill switches are unchanged: `npm run ops -- switches` shows them.');
    return code;
  },
});
