import { checkPeriod } from '../../requests/request-contract.js';
import { isJobType } from '../../pipelines/index.js';
import { storeFunctions } from '../../store/functions.js';
import { defineCommand, json, wordAt } from '../command.js';
import { ExitCode, OpsError } from '../errors.js';
import { describeRun, read, uuid } from '../look.js';

/** A run named by its id, or `jobType[:periodKey]` (the newest run of the job without a period). */
function runReference(reference: string): { runId: string | null; jobType: string | null; periodKey: string | null } {
  if (uuid.test(reference)) return { runId: reference, jobType: null, periodKey: null };
  const [jobType, ...period] = reference.split(':');
  if (!jobType || !isJobType(jobType)) {
    throw new OpsError(ExitCode.usage, `a run is its id or jobType[:periodKey], such as daily_digest:2026-11-23; got ${reference}`);
  }
  const periodKey = period.length > 0 ? period.join(':') : null;
  // A replay of held actions runs under its own key (replay:<reason>:<from>/<to>), a quiet-hours release under
  // release:<releaseId>; any other must be a real period.
  if (periodKey !== null && !periodKey.startsWith('replay:') && !periodKey.startsWith('release:')) {
    const refused = checkPeriod(jobType, periodKey, { now: null, dryRun: true });
    if (refused !== null) throw new OpsError(ExitCode.usage, `${reference}: ${refused.reason}`);
  }
  return { runId: null, jobType, periodKey };
}

/** `run <runId|jobType[:periodKey]>`: one run in full, its timeline, its decisions, its dry runs. */
export const run = defineCommand({
  name: 'run',
  group: 'look',
  words: '<runId|jobType[:periodKey]>',
  help: 'one run in full: its attempts, decisions by outcome and reason, dry runs',
  options: { ...json },
  async run({ context, args, shown }) {
    const reference = wordAt(args, 0, 'the run (its id, or jobType[:periodKey])');
    const store = await context.store();
    const detail = await read('reading the run', () => store.call(storeFunctions.run, runReference(reference)));
    if (detail === null) throw new OpsError(ExitCode.failed, `no run ${reference}`);
    if (shown.json) {
      context.out(JSON.stringify(detail, null, 2));
      return ExitCode.ok;
    }
    for (const line of describeRun(detail)) context.out(line);
    return ExitCode.ok;
  },
});
