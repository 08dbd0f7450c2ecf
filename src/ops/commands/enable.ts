import { killSwitchPath } from '../../pipelines/index.js';
import { defineCommand, reasonOf, recorded, wordAt } from '../command.js';
import { ExitCode, OpsError } from '../errors.js';
import { pipelineTypeOfSlug, putSwitch, recordFlip } from '../switch-writes.js';

/** `enable <slug|all>`: turning a pipeline back on is recorded first; no record, no flip. */
export const enable = defineCommand({
  name: 'enable',
  group: 'act',
  words: '<slug|all>',
  help: 'turn it back on; records a human override',
  options: { ...recorded },
  async run({ context, args, options, who }) {
    const slug = wordAt(args, 0, 'the switch (a pipeline slug or all)');
    pipelineTypeOfSlug(slug); // an unknown switch is refused (exit 2) before anything is asked or written
    const by = reasonOf(who, options);
    const written = await recordFlip(context, slug, true, by);
    if (!written.recorded) throw new OpsError(ExitCode.failed, `not enabled: ${written.why}`);
    await putSwitch(context, slug, 'true');
    context.out(`${killSwitchPath(context.env, slug)} = true  (the curator sees it within its 5-minute cache)`);
    return ExitCode.ok;
  },
});
