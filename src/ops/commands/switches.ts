import { parseSwitch } from '../../curator/switches.js';
import { killSwitchPath, killSwitchSlugs } from '../../pipelines/index.js';
import { defineCommand } from '../command.js';
import { ExitCode } from '../errors.js';
import { readParameters } from '../parameters.js';

/** `switches`: every kill switch of the environment, with its value and what the curator makes of it. */
export const switches = defineCommand({
  name: 'switches',
  group: 'look',
  words: '',
  help: 'every kill switch of the environment and its state',
  options: {},
  async run({ context }) {
    const values = await readParameters(context);
    const rows = killSwitchSlugs().map((slug) => {
      const path = killSwitchPath(context.env, slug);
      const value = values.get(path);
      const state = parseSwitch(value);
      return [slug, path, value ?? '(missing)', state === 'on' ? 'ON' : state === 'off' ? 'OFF' : 'UNREADABLE: email and credit veto'];
    });
    const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length), ['switch', 'parameter', 'value'][column]!.length));
    const format = (row: string[]) => row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell)).join('  ');
    context.out(format(['switch', 'parameter', 'value', 'state']));
    for (const row of rows) context.out(format(row));
    const tunables = [...values.entries()].filter(([name]) => !name.endsWith('/enabled'));
    if (tunables.length > 0) {
      context.out('');
      context.out('overrides in force:');
      for (const [name, value] of tunables) context.out(`  ${name} = ${value}`);
    }
    return ExitCode.ok;
  },
});
