import { isJobType, jobTypes } from '../../pipelines/index.js';
import { storeFunctions } from '../../store/functions.js';
import { formatTable, took, when } from '../../format/table.js';
import { defineCommand, json } from '../command.js';
import { ExitCode, OpsError } from '../errors.js';
import { durationOf, parseSince, read } from '../look.js';

/** `runs [--job J] [--since 24h]`: the recent runs, newest first. */
export const runs = defineCommand({
  name: 'runs',
  group: 'look',
  words: '',
  help: 'the recent runs: status, progress, counts, duration, continuations, error',
  options: {
    job: { type: 'string', value: 'J', help: 'only this jobType' },
    since: { type: 'string', value: '24h', help: 'how far back: minutes, hours or days (90m, 24h, 7d)' },
    ...json,
  },
  async run({ context, options, shown }) {
    const job = options.job ?? null;
    const sinceMs = parseSince(options.since ?? '24h');
    if (job !== null && !isJobType(job)) throw new OpsError(ExitCode.usage, `unknown jobType "${job}": expected one of ${jobTypes.join(', ')}`);
    const store = await context.store();
    const since = new Date(context.clock.now().getTime() - sinceMs);
    const found = await read('reading the runs', () => store.call(storeFunctions.runs, { jobType: job, since, limit: 200 }));
    if (shown.json) {
      context.out(JSON.stringify(found, null, 2));
      return ExitCode.ok;
    }
    if (found.length === 0) {
      context.out(`no runs${job ? ` of ${job}` : ''} since ${when(since)}`);
      return ExitCode.ok;
    }
    const rows = found.map((run) => [
      when(run.started_at),
      run.job_type,
      run.period_key,
      run.status,
      run.population === null ? String(run.candidates) : `${run.candidates}/${run.population}`,
      String(run.executed),
      String(run.vetoed),
      String(run.failed),
      took(durationOf(run.started_at, run.completed_at)),
      run.shards === null || run.shards === undefined ? String(run.continuations) : `${run.continuations}, shards ${run.shards_done}/${run.shards}`,
      run.replays === 0
        ? run.trigger === 'replay' ? 'is a replay' : ''
        : `${run.replays}x, last: executed ${run.replay_counts?.executed ?? 0}, vetoed ${run.replay_counts?.vetoed ?? 0}, failed ${run.replay_counts?.failed ?? 0}`,
      run.error ?? '',
    ]);
    for (const line of formatTable(['started (UTC)', 'job', 'period', 'status', 'decided', 'executed', 'vetoed', 'failed', 'took', 'continued', 'replayed', 'error'], rows)) {
      context.out(line);
    }
    return ExitCode.ok;
  },
});
