import { jsonLogger } from '../../adapters/json-logger.js';
import { lambdaFunctionMetrics } from '../../adapters/aws/lambda-function-metrics.js';
import { webhookFunctionName } from '../../pipelines/index.js';
import { emailPipelines, laterRequestSeconds, webhookCleanSince } from '../../runner/jobs/settle-unknown-emails.js';
import { storeFunctions } from '../../store/functions.js';
import { formatTable, took, when } from '../../format/table.js';
import { defineCommand, json } from '../command.js';
import { ExitCode, explain } from '../errors.js';
import { stateOf, type UnknownBatch } from '../in-doubt.js';

/**
 * `in-doubt`: the emails of unknown outcome (a crash after their request was recorded) whose request has no SendGrid
 * event yet, by request batch and age, with what the settlement's rule makes of each (curator_unknown_emails, the
 * rule the health job settles by). Exit 0 when it could look, whatever it found.
 */
export const inDoubt = defineCommand({
  name: 'in-doubt',
  group: 'look',
  words: '',
  help: "the emails a crash left of unknown outcome that SendGrid's events have not settled yet, by request batch and age, with what the settlement makes of each",
  options: { ...json },
  async run({ context, shown }) {
    const { evidenceGraceMinutes: graceMinutes } = await context.config();
    // The webhook's own Lambda errors and throttles, where there is a deployed one to read them of.
    const webhook = context.namesDatabase ? undefined : lambdaFunctionMetrics(context.cloudwatch(), webhookFunctionName(context.env));
    const silent = jsonLogger(() => undefined);
    const store = await context.store();
    const now = context.clock.now();
    let batches: UnknownBatch[];
    try {
      batches = await store.call(storeFunctions.unknownEmails, {
        pipelines: emailPipelines,
        now,
        graceSeconds: graceMinutes * 60,
        laterSeconds: laterRequestSeconds,
        webhookCleanSince: await webhookCleanSince(webhook, now, silent),
      });
    } catch (error) {
      throw explain(error, 'reading the emails of unknown outcome');
    }
    const rows = batches.map((batch) => ({ ...batch, age_seconds: Math.round((now.getTime() - new Date(batch.recorded_at).getTime()) / 1_000), state: stateOf(batch, graceMinutes) }));
    if (shown.json) {
      context.out(JSON.stringify({ now: now.toISOString(), grace_minutes: graceMinutes, batches: rows }, null, 2));
      return ExitCode.ok;
    }
    if (rows.length === 0) {
      context.out('no email of unknown outcome: every request the curator recorded has been settled');
      return ExitCode.ok;
    }
    const emails = rows.reduce((total, row) => total + row.emails, 0);
    context.out(`${emails} emails of unknown outcome in ${rows.length} request ${rows.length === 1 ? 'batch' : 'batches'} (grace ${graceMinutes} minutes)`);
    const header = ['BATCH', 'PIPELINE', 'EMAILS', 'RECORDED', 'AGE', 'EVIDENCE', 'LATER PROCESSED', 'WEBHOOK', 'STATE'];
    const table = rows.map((row) => [
      row.batch,
      row.pipeline_type,
      String(row.emails),
      when(row.recorded_at),
      took(row.age_seconds * 1_000),
      'none',
      row.later_processed ? 'yes' : 'no',
      row.refusals > 0 ? `${row.refusals} refused` : row.webhook_clean ? 'clean' : 'errors',
      row.state,
    ]);
    for (const line of formatTable(header, table)) context.out(line);
    context.out('settle one by hand once SendGrid\'s activity feed says what happened: npm run ops -- settle <batch> --sent|--failed --reason ...');
    return ExitCode.ok;
  },
});
