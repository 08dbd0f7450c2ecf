import { storeFunctions } from '../../store/functions.js';
import { when } from '../../format/table.js';
import { defineCommand, json, reasonOf, recorded, wordAt } from '../command.js';
import { ExitCode, explain, OpsError } from '../errors.js';

const refusals: Record<string, string> = {
  already_marked: 'is already marked a false positive; nothing written',
  not_marked: 'is not marked a false positive; nothing to undo',
  not_an_alert: 'is not a crisis alert or an early intervention; only those are reviewed for false positives',
  not_sent: 'did not go out (vetoed, skipped, failed or pending); only an alert that was sent can be a false positive',
};

/**
 * `false-positive <executionId|signalId> --reason … [--undo]`: the clinical review's verdict on one alert, recorded
 * as a `false_positive` override linked to the execution (an undo is a later row). Exit 1 when the alert is not
 * found or cannot be marked (the message says why), and nothing is written then.
 */
export const falsePositive = defineCommand({
  name: 'false-positive',
  group: 'act',
  words: '<executionId|signalId>',
  help:
    'the clinical review: mark a crisis or early-intervention alert that went out a false positive (or undo the ' +
    'mark); records a human override linked to it',
  options: { undo: { type: 'boolean', help: 'take the mark back (a later row)' }, ...recorded, ...json },
  async run({ context, args, options, who: by, shown }) {
    const id = wordAt(args, 0, 'the execution id or signalId of the alert');
    const who = reasonOf(by, options);
    const undo = options.undo;
    const store = await context.store();
    let review;
    try {
      review = await store.call(storeFunctions.markFalsePositive, { id, undo, actor: who.actor, reason: who.reason, ticket: who.ticket, now: context.clock.now() });
    } catch (error) {
      throw explain(error, 'recording the review');
    }
    if (shown.json) context.out(JSON.stringify(review, null, 2));
    switch (review.outcome) {
      case 'not_found':
        throw new OpsError(ExitCode.failed, `no execution or realtime signal ${id}`);
      case 'ambiguous':
        throw new OpsError(ExitCode.failed, `${id} names ${review.matches} executions; give the execution id (ops family <userId> lists them)`);
      case 'marked':
      case 'undone':
        if (!shown.json) {
          const { execution } = review;
          context.out(
            `${execution.pipeline_type} ${execution.id} (signal ${execution.period_key}, ${when(execution.created_at)}) ${review.outcome === 'marked' ? 'marked a false positive' : 'no longer marked a false positive'}; override ${review.override_id}`,
          );
        }
        return ExitCode.ok;
      default:
        throw new OpsError(ExitCode.failed, `${review.execution.pipeline_type} ${review.execution.id} ${refusals[review.outcome]}`);
    }
  },
});
