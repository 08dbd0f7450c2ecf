import type { JobType } from '../../pipelines/index.js';
import { storeFunctions } from '../../store/functions.js';
import type { CuratorDeps } from '../deps.js';
import type { DryRunResult } from '../job-result.js';
import { drive, startingSpend, type PageSource } from '../pages/drive.js';

/**
 * A dry run of any job: its pages decided exactly as a real run would, with nothing recorded, sent or credited,
 * and answered beside the last real run of the job.
 */
export async function dryRun(
  deps: CuratorDeps,
  input: { kind: DryRunResult['kind']; jobType: JobType; periodKey: string; pages: PageSource },
): Promise<DryRunResult> {
  const startedMs = Date.now();
  const spend = await startingSpend(deps, input.jobType, 0);
  const { tally } = await drive(deps, input.pages, { jobType: input.jobType, lease: null, cursor: null, canContinue: false, spend });
  return {
    ok: true,
    kind: input.kind,
    jobType: input.jobType,
    periodKey: input.periodKey,
    runId: null,
    status: 'dry_run',
    tally,
    durationMs: Date.now() - startedMs,
    lastRealRun: await deps.store.call(storeFunctions.lastRun, { jobType: input.jobType }),
  };
}
