import { isJobType, pipelineOf } from '../pipelines/index.js';
import { emailPipelines, laterRequestSeconds, latestFirings, replayOfFailed, settledPipelines } from '../runner/jobs/settle-unknown-emails.js';
import { storeFunctions, type AnswerOf } from '../store/functions.js';
import { replay } from './commands.js';
import type { Attribution, OpsContext } from './context.js';
import { ExitCode, explain, OpsError } from './errors.js';
import type { Shown } from './look.js';
import { formatTable, took, when } from './table.js';

type UnknownBatch = AnswerOf<typeof storeFunctions.unknownEmails>[number];

/** What the settlement's rule makes of a batch, as on-call reads it. */
function stateOf(batch: UnknownBatch, graceMinutes: number): string {
  if (!batch.past_grace) {
    const ends = new Date(new Date(batch.recorded_at).getTime() + graceMinutes * 60_000);
    return `awaiting SendGrid's events (grace ends ${when(ends).slice(11, 16)} UTC)`;
  }
  if (!isJobType(batch.pipeline_type) || !settledPipelines.includes(batch.pipeline_type)) {
    return 'in doubt: a crisis alert is taken again on redelivery and by its own check; ops settle decides';
  }
  if (!batch.later_processed) return `in doubt: no Processed events of requests made ${laterRequestSeconds / 60} minutes after it (is Processed on?)`;
  if (!batch.webhook_clean) {
    return batch.refusals > 0 ? `in doubt: the webhook refused ${batch.refusals} deliveries since` : 'in doubt: the webhook had Lambda errors or throttles since';
  }
  return "SendGrid never received it: settled failed and replayed at the webhook's next delivery or the next health check";
}

/**
 * `in-doubt`: the emails of unknown outcome (a crash after their request was recorded) whose request has no SendGrid
 * event yet, by request batch and age, with what the settlement's rule makes of each (curator_unknown_emails, the
 * rule the health job settles by). Exit 0 when it could look, whatever it found.
 */
export async function showInDoubt(
  context: OpsContext,
  settings: { readonly graceMinutes: number; readonly webhookCleanSince: () => Promise<Date | null> },
  shown: Shown,
): Promise<ExitCode> {
  const store = await context.store();
  const now = context.clock.now();
  let batches: UnknownBatch[];
  try {
    batches = await store.call(storeFunctions.unknownEmails, {
      pipelines: emailPipelines,
      now,
      graceSeconds: settings.graceMinutes * 60,
      laterSeconds: laterRequestSeconds,
      webhookCleanSince: await settings.webhookCleanSince(),
    });
  } catch (error) {
    throw explain(error, 'reading the emails of unknown outcome');
  }
  const rows = batches.map((batch) => ({ ...batch, age_seconds: Math.round((now.getTime() - new Date(batch.recorded_at).getTime()) / 1_000), state: stateOf(batch, settings.graceMinutes) }));
  if (shown.json) {
    context.out(JSON.stringify({ now: now.toISOString(), grace_minutes: settings.graceMinutes, batches: rows }, null, 2));
    return ExitCode.ok;
  }
  if (rows.length === 0) {
    context.out('no email of unknown outcome: every request the curator recorded has been settled');
    return ExitCode.ok;
  }
  const emails = rows.reduce((total, row) => total + row.emails, 0);
  context.out(`${emails} emails of unknown outcome in ${rows.length} request ${rows.length === 1 ? 'batch' : 'batches'} (grace ${settings.graceMinutes} minutes)`);
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
}

const refusals = {
  not_found: 'no request batch; `npm run ops -- in-doubt` lists those with emails of unknown outcome',
  nothing_unknown: 'has no email of unknown outcome left (SendGrid\'s events, the health job or ops settled them): nothing written',
} as const;

/**
 * `settle <batch> --sent|--failed --reason …`: settles by hand the emails of unknown outcome of one request batch,
 * recorded as a settle_emails override. `--failed` then queues the replay of the pipeline's failed outcomes over
 * the batch's range (published and recorded as `ops replay` does), unless the pipeline has fired again since: then
 * the batch is recorded superseded and nothing is sent late. Exit 1 when there is nothing to settle.
 */
export async function settleBatch(context: OpsContext, batch: string, outcome: 'sent' | 'failed', who: Attribution, shown: Shown): Promise<ExitCode> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(batch)) {
    throw new OpsError(ExitCode.usage, `the batch must be a request batch id (a uuid, as ops in-doubt lists it), got ${batch}`);
  }
  const store = await context.store();
  const now = context.clock.now();
  let settled;
  try {
    settled = await store.call(storeFunctions.settleBatch, { batch, outcome, actor: who.actor, reason: who.reason, ticket: who.ticket, now, supersededBefore: latestFirings(now) });
  } catch (error) {
    throw explain(error, 'settling the batch');
  }
  if (settled.outcome !== 'settled') {
    if (shown.json) context.out(JSON.stringify(settled, null, 2));
    throw new OpsError(ExitCode.failed, `${batch} ${refusals[settled.outcome]}`);
  }
  const jobType = isJobType(settled.pipeline_type) ? settled.pipeline_type : null;
  const replays = outcome === 'failed' && !settled.superseded && jobType !== null;
  if (shown.json) context.out(JSON.stringify({ ...settled, replay_follows: replays }, null, 2));
  else {
    const superseded = jobType !== null && settled.superseded ? `, superseded by the next ${pipelineOf(jobType).displayName.toLowerCase()} (not sent late)` : '';
    context.out(`${settled.emails} ${settled.pipeline_type} emails of batch ${batch} settled ${outcome}${superseded}; override ${settled.override_id}`);
  }
  if (!replays) return ExitCode.ok;
  return replay(context, replayOfFailed(jobType, settled.from, settled.to), { ...who, reason: `resend batch ${batch}: ${who.reason}` }, { wait: null, shown });
}
