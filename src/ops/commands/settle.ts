import { isJobType, pipelineOf } from '../../pipelines/index.js';
import { replayDetailOfRequest } from '../../events/curator-events.js';
import { latestFirings, replayOfFailed } from '../../runner/jobs/settle-unknown-emails.js';
import { storeFunctions } from '../../store/functions.js';
import { defineCommand, json, reasonOf, recorded, wordAt } from '../command.js';
import { ExitCode, explain, OpsError } from '../errors.js';
import { uuid } from '../look.js';
import { publishReplayRecorded } from '../publish-replay.js';

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
export const settle = defineCommand({
  name: 'settle',
  group: 'act',
  words: '<batch> --sent|--failed',
  help:
    "settle one batch's unknown emails by hand (SendGrid's activity feed says which); records a human override. " +
    '--failed then publishes the replay that resends them, unless the pipeline has fired again since (then ' +
    'superseded: nothing sent late)',
  options: {
    sent: { type: 'boolean', help: 'SendGrid has them' },
    failed: { type: 'boolean', help: 'they never reached SendGrid' },
    ...recorded,
    ...json,
  },
  async run({ context, args, options, who: by, shown }) {
    const batch = wordAt(args, 0, 'the request batch (ops in-doubt lists them)');
    if (options.sent === options.failed) throw new OpsError(ExitCode.usage, 'say what happened: exactly one of --sent (SendGrid has it) or --failed (it never reached SendGrid)');
    const outcome = options.sent ? 'sent' : 'failed';
    const who = reasonOf(by, options);
    if (!uuid.test(batch)) {
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
    return publishReplayRecorded(context, replayDetailOfRequest(replayOfFailed(jobType, settled.from, settled.to)), { ...who, reason: `resend batch ${batch}: ${who.reason}` }, { wait: null, shown });
  },
});
