import { MetricName } from '../curator/ports.js';
import type { JobType } from '../pipelines/index.js';
import type { RunRow } from '../store/rows.js';
import type { CuratorDeps } from './deps.js';
import { runCounts, vetoTotal, type Tally } from './tally.js';

/** A leased run this invocation holds. */
export interface HeldRun {
  readonly runId: string;
  readonly cursor: string | null;
  readonly resumed: boolean;
  readonly executedBefore: number;
}

/** How long a released run (or shard) waits for its continuation before another delivery may take it over. */
export const continuationGraceSeconds = 600;

/**
 * Hands a run on to its next invocation near the deadline: its cursor and counts are saved, so release the lease
 * to `continuation`, which the next delivery takes over at once, and queue the event that delivery starts from.
 */
export async function handOn(deps: CuratorDeps, run: HeldRun, event: Record<string, unknown>, fields: Record<string, unknown>): Promise<void> {
  if (deps.continuations === undefined) throw new Error('a run can only be handed on through a work queue');
  await deps.store.releaseRun({ runId: run.runId, owner: deps.config.owner, graceSeconds: continuationGraceSeconds, now: deps.clock.now() });
  await deps.continuations.continueWith(event);
  deps.logger.info('run continues in a new invocation', { ...fields, run_id: run.runId });
}

/** Takes the run of (job, period), or says why not (another invocation has it, or it is done). */
export async function takeRun(
  deps: CuratorDeps,
  input: { jobType: JobType; periodKey: string; trigger: 'schedule' | 'replay'; eventId: string | null; scheduledFor: Date | null },
): Promise<HeldRun | { taken: false; reason: string; runId: string }> {
  const result = await deps.store.acquireRun({
    ...input,
    owner: deps.config.owner,
    leaseSeconds: deps.config.leaseSeconds,
    now: deps.clock.now(),
  });
  if (!result.acquired) {
    deps.logger.info('run already taken', {
      pipeline_type: input.jobType,
      period_key: input.periodKey,
      reason: result.reason,
      run_status: result.run.status,
    });
    return { taken: false, reason: result.reason ?? 'taken', runId: result.run.id };
  }
  const cursor = result.run.cursor as { after?: unknown } | null;
  return {
    runId: result.run.id,
    cursor: typeof cursor?.after === 'string' ? cursor.after : null,
    resumed: result.resumed === true,
    executedBefore: result.resumed ? result.run.executed : 0,
  };
}

/** Saves a page's progress; false when the lease was lost and the caller must stop acting. */
export async function saveProgress(deps: CuratorDeps, run: HeldRun, after: string | null, page: Tally): Promise<boolean> {
  const held = await deps.store.touchRun({
    runId: run.runId,
    owner: deps.config.owner,
    leaseSeconds: deps.config.leaseSeconds,
    now: deps.clock.now(),
    cursor: after === null ? null : { after },
    counts: runCounts(page),
  });
  if (!held) deps.logger.warn('lease lost; stopping this run', { run_id: run.runId });
  return held;
}

const noCounts = { candidates: 0, executed: 0, skipped: 0, vetoed: 0, failed: 0, escalated: 0 };

/** Completes the run and publishes its veto rate and duration. */
export async function finishRun(
  deps: CuratorDeps,
  run: HeldRun,
  input: { jobType: JobType; status: 'succeeded' | 'failed'; error: string | null; tally: Tally; startedMs: number },
): Promise<void> {
  await deps.store.finishRun({
    runId: run.runId,
    owner: deps.config.owner,
    status: input.status,
    now: deps.clock.now(),
    counts: noCounts,
    error: input.error,
  });
  publishRunMetrics(deps, input.jobType, input.tally, input.startedMs);
}

/** VetoRate (percent of this run's decisions) and JobDuration, per pipeline. */
export function publishRunMetrics(deps: CuratorDeps, pipelineType: JobType, tally: Tally, startedMs: number): void {
  const vetoed = vetoTotal(tally);
  publish(deps, pipelineType, vetoed, vetoed + tally.executed + tally.failed + tally.unknown + tally.escalated, Date.now() - startedMs);
}

/** The same for a run its shards completed, from the counts they added to its row, over its whole life. */
export function publishShardedRunMetrics(deps: CuratorDeps, pipelineType: JobType, run: RunRow): void {
  const durationMs = run.completed_at === null ? 0 : Date.parse(run.completed_at) - Date.parse(run.started_at);
  publish(deps, pipelineType, run.vetoed, run.vetoed + run.executed + run.failed + run.escalated, durationMs);
}

function publish(deps: CuratorDeps, pipelineType: JobType, vetoed: number, decisions: number, durationMs: number): void {
  if (decisions > 0) {
    deps.metrics.record({ name: MetricName.VetoRate, value: (100 * vetoed) / decisions, unit: 'Percent', pipelineType });
  }
  deps.metrics.record({ name: MetricName.JobDuration, value: durationMs, unit: 'Milliseconds', pipelineType });
}
