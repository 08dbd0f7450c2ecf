import { storeFunctions } from '../../store/functions.js';
import type { Firing } from '../../pipelines/index.js';
import type { CuratorDeps } from '../deps.js';
import type { ShardJob } from '../../requests/job-request.js';
import type { ShardResult } from '../job-result.js';
import { endHeld, failHeld, hold, type HeldRun, type HeldWork, type Holding, type Worked } from '../lifecycle/held-work.js';
import { takeShard, type Lease } from '../lifecycle/leases.js';
import { drive, startingSpend } from '../pages/drive.js';
import type { PagePlan } from '../pages/page-plan.js';
import { planFor } from '../plans/plan-for.js';
import { emptyTally, runCounts } from '../tally.js';

/**
 * Splits a fresh run of a plan that can be sharded into shards of `shardSize` when its population is larger,
 * writes them, hands the run to them and queues one event per shard. Answers null when the run is to be walked
 * here: no work queue, a replay of given users, a run resumed from its cursor, or a population that fits.
 * If the events cannot all be queued the run is marked failed (a replay of the period splits it again).
 */
export async function fanOut<Row>(
  deps: CuratorDeps,
  plan: PagePlan<Row>,
  lease: Lease,
  firing: Firing,
  subjects: readonly string[] | null,
): Promise<Extract<Worked, { kind: 'fanned_out' | 'lease_lost' }> | null> {
  const { shardSize } = deps.config;
  if (shardSize === undefined || deps.continuations === undefined || plan.shardBounds === undefined) return null;
  if (subjects !== null || lease.cursor !== null) return null;
  const { population, bounds } = await plan.shardBounds(shardSize);
  if (bounds.length === 0) return null;

  const runId = lease.ref.runId;
  const split = await deps.store.call(storeFunctions.fanOut, {
    runId,
    owner: deps.config.owner,
    leaseSeconds: deps.config.leaseSeconds,
    now: deps.clock.now(),
    population,
    shardSize,
    bounds,
  });
  if (!split.held || split.generation === undefined || split.shards === undefined) return { kind: 'lease_lost' };
  const { generation, shards } = split;
  const requests = Array.from({ length: shards }, (_, shard): ShardJob => ({
    kind: 'shard',
    jobType: plan.jobType,
    runId,
    shard,
    generation,
    periodKey: firing.periodKey,
    scheduledTime: firing.scheduledTime,
  }));
  try {
    await deps.continuations.continueWith(requests);
  } catch (error) {
    const message = `could not queue its ${shards} shards: ${error instanceof Error ? error.message : String(error)}`;
    // The run now belongs to its shards, so it is failed as their owner.
    await deps.store
      .call(storeFunctions.finishRun, { runId, owner: 'shards', status: 'failed', now: deps.clock.now(), counts: runCounts(emptyTally()), error: message })
      .catch(() => undefined);
    throw new Error(message, { cause: error });
  }
  deps.logger.info('run split into shards', { pipeline_type: plan.jobType, run_id: runId, period_key: firing.periodKey, shards, population });
  return { kind: 'fanned_out', shards };
}

/**
 * One shard of a split run, through the same lifecycle as a run: takes the shard's lease, walks its range from its
 * cursor (with its share of the emails-per-run ceiling), adds each page's counts to the shard and the run, and
 * finishes the shard; the last shard to finish completes the run. A failure marks the shard failed and is thrown,
 * so the queue delivers it again (and the run follows the retried shard).
 */
export async function runShard(deps: CuratorDeps, request: ShardJob): Promise<ShardResult> {
  const startedMs = Date.now();
  const { jobType, runId, shard, generation, periodKey } = request;
  const plan = planFor(deps, jobType, { periodKey, scheduledTime: request.scheduledTime });
  const work: HeldWork = { jobType, labels: { period_key: periodKey, shard }, resumeWith: request };
  const held = await hold(deps, work, await takeShard(deps, { runId, shard, generation }));
  if (!held.taken) return answer(held.run);
  try {
    return answer(await endHeld(held, await walkShard(held, plan)));
  } catch (error) {
    throw await failHeld(held, error);
  }

  function answer({ outcome, runEnded }: HeldRun): ShardResult {
    return { ok: true, kind: 'shard', jobType, periodKey, runId, shard, runCompleted: runEnded, durationMs: Date.now() - startedMs, ...outcome };
  }
}

/** A held shard's work: the walk of its range from its cursor, with its share of the emails-per-run ceiling. */
async function walkShard(held: Holding, plan: PagePlan<unknown>): Promise<Worked> {
  const { deps, lease } = held;
  const { jobType } = plan;
  const spend = await startingSpend(deps, jobType, lease.emailsBefore, lease.emailCeilingShare);
  const options = { jobType, runId: lease.ref.runId, dryRun: false, retakeVetoReason: null, lease: lease.ref, cursor: lease.cursor, canContinue: true, spend };
  return { kind: 'walked', walk: await drive(deps, plan, { through: lease.through, subjects: null }, options) };
}
