import { defineCommand, reasonOf, recorded, yes } from '../command.js';
import { ExitCode } from '../errors.js';
import { ruleNames, setRules } from '../rules.js';

/** `stop-all`: disables the eight EventBridge rules (crisis alerts and every other realtime signal included). */
export const stopAll = defineCommand({
  name: 'stop-all',
  group: 'act',
  words: '',
  help: 'disable the eight EventBridge rules, crisis alerts included (confirm or --yes)',
  options: { ...recorded, ...yes },
  async run({ context, options, who, confirm }) {
    const by = reasonOf(who, options);
    await confirm([
      `stop-all disables the eight EventBridge rules of ${context.env}; nothing reaches the curator, crisis alerts included:`,
      ...ruleNames(context.env).map((rule) => `  ${rule.name}: ${rule.starts}`),
    ]);
    const code = await setRules(context, 'DISABLED', by);
    if (code === ExitCode.ok) {
      context.out('All eight rules are disabled: no job runs and no realtime signal (crisis alerts too) reaches the curator. Undo with `npm run ops -- start-all --reason ...`.');
    }
    return code;
  },
});
