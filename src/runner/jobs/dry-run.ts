import type { VetoReason } from '../../curator/verdict.js';
import type { JobType } from '../../pipelines/index.js';
import { storeFunctions } from '../../store/functions.js';
import type { CuratorDeps } from '../deps.js';
import type { DryRunResult } from '../job-result.js';
import { startingSpend, type WalkOptions } from '../pages/drive.js';
import type { Tally } from '../tally.js';

/** How a dry run walks: no lease, no run, nothing recorded or sent; a replay's veto reason decided again. */
export async function dryWalkOptions(deps: CuratorDeps, jobType: JobType, retakeVetoReason: VetoReason | null = null): Promise<WalkOptions> {
  const spend = await startingSpend(deps, jobType, 0);
  return { jobType, runId: null, dryRun: true, retakeVetoReason, lease: null, cursor: null, canContinue: false, spend };
}

/**
 * The answer of a dry run of any job, whose pages were decided exactly as a real run would (with
 * {@link dryWalkOptions}): its tally beside the last real run of its period (or of the job's latest earlier period
 * when it never ran). The answer of an asynchronous delivery is thrown away, so the report is also kept
 * (dry_run_reports, by the event's id): `ops run` and `ops replay --dry-run --wait` read it.
 */
export async function reportDryRun(
  deps: CuratorDeps,
  input: { kind: DryRunResult['kind']; jobType: JobType; periodKey: string; eventId: string | null; startedMs: number },
  tally: Tally,
): Promise<DryRunResult> {
  const lastRealRun = await deps.store.call(storeFunctions.lastRun, { jobType: input.jobType, periodKey: input.periodKey });
  const durationMs = Date.now() - input.startedMs;
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
