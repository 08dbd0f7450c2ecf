import { formatTable, when } from '../../format/table.js';
import { defineCommand, json } from '../command.js';
import { ExitCode } from '../errors.js';
import { jobTypeOf } from '../pipeline-names.js';
import { thresholdLines } from '../thresholds.js';

/** `thresholds [slug|jobType]`: the effective policy, for people (a table) or scripts (`--json`). */
export const thresholds = defineCommand({
  name: 'thresholds',
  group: 'look',
  words: '[slug|jobType]',
  help:
    'every threshold, cap and ceiling in force: default, override (who set it when), overrides ignored as ' +
    'malformed, parameters the curator does not read',
  options: { ...json },
  async run({ context, args, shown: display }) {
    const only = args[0] === undefined ? null : jobTypeOf(args[0]);
    const { lines, unknown } = await thresholdLines(context, only);
    if (display.json) {
      context.out(JSON.stringify({ environment: context.env, thresholds: lines, unknownParameters: unknown }, null, 2));
      return ExitCode.ok;
    }
    const rows = lines.map((line) => [
      line.parameter,
      line.default,
      line.range ?? '',
      line.effective,
      line.source === 'default' ? 'default' : line.source === 'override' ? `override ${line.value}` : `IGNORED ${JSON.stringify(line.value)}`,
      line.source === 'default' ? '' : line.setBy === null ? '(no ops tune record: set by hand)' : `${line.setBy} ${when(line.setAt)}`,
    ]);
    for (const row of formatTable(['parameter', 'default', 'may be set to', 'in force', 'source', 'set by'], rows)) context.out(row);
    const ignored = lines.filter((line) => line.problem !== null);
    if (ignored.length > 0) {
      context.out('');
      context.out('ignored overrides (the curator applies the default):');
      for (const line of ignored) context.out(`  ${line.problem}`);
    }
    if (unknown.length > 0) {
      context.out('');
      context.out(`parameters the curator does not read (a typo?): ${unknown.join(', ')}`);
    }
    return ExitCode.ok;
  },
});
