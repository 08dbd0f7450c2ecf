import type { JobType } from '../../pipelines/index.js';
import { storeFunctions } from '../../store/functions.js';
import type { CuratorDeps } from '../deps.js';
import type { DryRunResult } from '../job-result.js';
import { drive, startingSpend, type PageSource } from '../pages/drive.js';

/**
 * A dry run of any job: its pages decided exactly as a real run would, with nothing recorded, sent or credited,
 * and answered beside the last real run of its period (or of the job's latest earlier period when it never ran). The answer of an asynchronous delivery is thrown away, so the
 * report is also kept (dry_run_reports, by the event's id): `ops run` and `ops replay --dry-run --wait` read it.
 */
export async function dryRun(
  deps: CuratorDeps,
  input: { kind: DryRunResult['kind']; jobType: JobType; periodKey: string; eventId: string | null; pages: PageSource },
): Promise<DryRunResult> {
  const startedMs = Date.now();
  const spend = await startingSpend(deps, input.jobType, 0);
  const { tally } = await drive(deps, input.pages, { jobType: input.jobType, lease: null, cursor: null, canContinue: false, spend });
  const lastRealRun = await deps.store.call(storeFunctions.lastRun, { jobType: input.jobType, periodKey: input.periodKey });
  const durationMs = Date.now() - startedMs;
  await deps.store.call(storeFunctions.recordDryRun, {
    jobType: input.jobType,
    periodKey: input.periodKey,
    eventId: input.eventId,
    requestId: deps.config.owner,
    report: { tally, lastRealRun, durationMs },
    now: deps.clock.now(),
  });
  deps.logger.info('dry run', { pipeline_type: input.jobType, period_key: input.periodKey, event_id: input.eventId, ...tally, last_real_run: lastRealRun?.id ?? null });
  return {
    ok: true,
    kind: input.kind,
    jobType: input.jobType,
    periodKey: input.periodKey,
    runId: null,
    status: 'dry_run',
    tally,
    durationMs,
    lastRealRun,
  };
}
