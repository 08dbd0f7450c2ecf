import type { Firing, JobType } from '../pipelines/index.js';
import type { CuratorDeps } from './deps.js';
import type { ShardJob } from './job-request.js';
import type { PagePlan } from './page.js';
import { withPlan } from './plan-for.js';
import { continuationGraceSeconds, publishShardedRunMetrics, type HeldRun } from './run-lifecycle.js';
import { emptyTally, runCounts, type JobSummary } from './tally.js';
import { startingSpend, walk, type WalkResult } from './walk.js';

/** The event that runs one shard: sent to the work queue, read back by the handler (curator-event.ts). */
export function shardEvent(input: { jobType: JobType; runId: string; shard: number; generation: number; firing: Firing }): Record<string, unknown> {
  return {
    source: 'storytailor.curator',
    'detail-type': 'Run Shard',
    time: input.firing.scheduledTime.toISOString(),
    detail: {
      jobType: input.jobType,
      runId: input.runId,
      shard: input.shard,
      generation: input.generation,
      periodKey: input.firing.periodKey,
    },
  };
}

/** What came of offering a run to its shards. */
export type FanOut = { readonly shards: number } | { readonly leaseLost: true } | null;

/**
 * Splits a fresh run of a plan that can be sharded into shards of `shardSize` when its population is larger,
 * writes them, hands the run to them and queues one event per shard. Answers null when the run is to be walked
 * here: no work queue, a replay of given users, a run resumed from its cursor, or a population that fits.
 * If the events cannot all be queued the run is marked failed (a replay of the period splits it again).
 */
export async function fanOut<Row>(
  deps: CuratorDeps,
  plan: PagePlan<Row>,
  run: HeldRun,
  firing: Firing,
  subjects: readonly string[] | null,
): Promise<FanOut> {
  const { shardSize } = deps.config;
  if (shardSize === undefined || deps.continuations === undefined || plan.shardBounds === undefined) return null;
  if (subjects !== null || run.cursor !== null) return null;
  const { population, bounds } = await plan.shardBounds(shardSize);
  if (bounds.length === 0) return null;

  const split = await deps.store.fanOut({
    runId: run.runId,
    owner: deps.config.owner,
    leaseSeconds: deps.config.leaseSeconds,
    now: deps.clock.now(),
    population,
    shardSize,
    bounds,
  });
  if (!split.held || split.generation === undefined || split.shards === undefined) return { leaseLost: true };
  const { generation, shards } = split;
  const events = Array.from({ length: shards }, (_, shard) => shardEvent({ jobType: plan.jobType, runId: run.runId, shard, generation, firing }));
  try {
    await deps.continuations.continueWith(...events);
  } catch (error) {
    const message = `could not queue its ${shards} shards: ${error instanceof Error ? error.message : String(error)}`;
    // The run now belongs to its shards, so it is failed as their owner.
    await deps.store
      .finishRun({ runId: run.runId, owner: 'shards', status: 'failed', now: deps.clock.now(), counts: runCounts(emptyTally()), error: message })
      .catch(() => undefined);
    throw new Error(message);
  }
  deps.logger.info('run split into shards', { pipeline_type: plan.jobType, run_id: run.runId, period_key: firing.periodKey, shards, population });
  return { shards };
}

/**
 * One shard of a split run: takes the shard's lease, walks its range from its cursor (deciding, recording and
 * acting exactly as a whole run does, with its share of the emails-per-run ceiling), adds each page's counts to
 * the shard and the run, and finishes the shard; the last shard to finish completes the run and publishes its
 * metrics. Near the deadline it hands itself on through the work queue like a run does. A failure marks the
 * shard failed and is thrown, so the queue delivers it again (and the run follows the retried shard).
 */
export async function runShard(deps: CuratorDeps, request: ShardJob): Promise<JobSummary> {
  const startedMs = Date.now();
  const { jobType, runId, shard, generation } = request;
  const firing: Firing = { periodKey: request.periodKey, scheduledTime: request.scheduledTime };
  const base = { ok: true as const, jobType, kind: 'shard' as const, periodKey: firing.periodKey, runId };
  const owner = deps.config.owner;
  const lease = { runId, shard, owner, leaseSeconds: deps.config.leaseSeconds };
  const skipped = (reason: string, tally = emptyTally()): JobSummary => ({ ...base, status: 'skipped', reason, tally, durationMs: Date.now() - startedMs });

  const taken = await deps.store.acquireShard({ ...lease, generation, now: deps.clock.now() });
  if (!taken.acquired || taken.shard === undefined) {
    deps.logger.info('shard already taken', { pipeline_type: jobType, run_id: runId, shard, reason: taken.reason });
    return skipped(taken.reason ?? 'taken');
  }
  const held = taken.shard;

  let result: WalkResult;
  try {
    const spend = await startingSpend(deps, jobType, held.executed, held.share);
    result = await withPlan(deps, jobType, firing, {}, (plan) =>
      walk(deps, plan, {
        runId,
        save: async (after, page) => {
          const kept = await deps.store.touchShard({ ...lease, now: deps.clock.now(), cursor: after, counts: runCounts(page) });
          if (!kept) deps.logger.warn('shard lease lost; stopping', { run_id: runId, shard });
          return kept;
        },
        canContinue: true,
        after: held.cursor,
        through: held.through_key,
        subjects: null,
        dryRun: false,
        retakeVetoReason: null,
        spend,
      }),
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    deps.logger.error('shard failed', { pipeline_type: jobType, run_id: runId, shard, error: message });
    await deps.store.finishShard({ ...lease, status: 'failed', now: deps.clock.now(), error: message }).catch(() => undefined);
    throw error;
  }
  if (result.leaseLost) return skipped('lease_lost', result.tally);
  if (result.continued && deps.continuations) {
    await deps.store.releaseShard({ runId, shard, owner, graceSeconds: continuationGraceSeconds, now: deps.clock.now() });
    await deps.continuations.continueWith(shardEvent({ jobType, runId, shard, generation, firing }));
    deps.logger.info('shard continues in a new invocation', { pipeline_type: jobType, run_id: runId, shard });
    return { ...base, status: 'continued', reason: 'deadline', tally: result.tally, durationMs: Date.now() - startedMs };
  }
  const finished = await deps.store.finishShard({ ...lease, status: 'succeeded', now: deps.clock.now(), error: null });
  if (!finished.held) return skipped('lease_lost', result.tally);
  if (finished.run !== null) {
    publishShardedRunMetrics(deps, jobType, finished.run);
    deps.logger.info('run completed by its last shard', { pipeline_type: jobType, run_id: runId, run_status: finished.run.status });
  }
  return {
    ...base,
    status: 'succeeded',
    tally: result.tally,
    durationMs: Date.now() - startedMs,
    details: { shard, runCompleted: finished.run !== null },
  };
}
