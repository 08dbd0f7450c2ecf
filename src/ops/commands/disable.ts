import { killSwitchPath } from '../../pipelines/index.js';
import { defineCommand, reasonOf, recorded, wordAt, yes } from '../command.js';
import { ExitCode } from '../errors.js';
import { pipelineTypeOfSlug, putSwitch, recordFlip } from '../switch-writes.js';

/**
 * `disable <slug|all>`: stopping is always safe, so the switch is flipped first and recorded after; if the record
 * cannot be written the switch stays off and the command says so (exit 5).
 */
export const disable = defineCommand({
  name: 'disable',
  group: 'act',
  words: '<slug|all>',
  help: 'turn a pipeline (or all) off; records a human override (all: confirm or --yes)',
  options: { ...recorded, ...yes },
  async run({ context, args, options, who, confirm }) {
    const slug = wordAt(args, 0, 'the switch (a pipeline slug or all)');
    pipelineTypeOfSlug(slug); // an unknown switch is refused (exit 2) before anything is asked or written
    const by = reasonOf(who, options);
    if (slug === 'all') {
      await confirm([
        `disable all turns off every pipeline in ${context.env}: no digest, insight, credit or report, and crisis alerts too`,
        '(the curator vetoes them KILL_SWITCH_ACTIVE, recorded; undo with `npm run ops -- enable all --reason ...`).',
      ]);
    }
    await putSwitch(context, slug, 'false');
    context.out(`${killSwitchPath(context.env, slug)} = false  (the curator sees it within its 5-minute cache)`);
    const written = await recordFlip(context, slug, false, by);
    if (!written.recorded) {
      context.err(`WARNING: the switch is off, but the human_overrides row was not written: ${written.why}`);
      return ExitCode.notRecorded;
    }
    return ExitCode.ok;
  },
});
