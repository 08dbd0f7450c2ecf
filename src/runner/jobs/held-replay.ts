import { pipelineOf } from '../../pipelines/index.js';
import type { CuratorDeps } from '../deps.js';
import type { DryRunResult, RunResult } from '../job-result.js';
import { endHeld, failHeld, hold, type HeldRun, type HeldWork } from '../lifecycle/held-work.js';
import { takeRun } from '../lifecycle/leases.js';
import { Walk, startingSpend, type WalkOptions, type WalkResult } from '../pages/drive.js';
import { dryWalkOptions, reportDryRun } from './dry-run.js';
import { takeHeldDigests } from './held-digest-replay.js';
import { takeHeldSignals } from './held-signal-replay.js';
import { cursorAfter, decodeReplayCursor, encodeReplayCursor, heldReplayKey, heldTargets, resolvedRequest, type HeldReplay, type ReplayCursor } from './held-targets.js';

/**
 * A replay of held actions, of a scheduled or a realtime pipeline, through the one lifecycle: its run is keyed by
 * its reason and range (a duplicate delivery of the same replay exits), it continues near the deadline from the
 * last held execution it finished, with the emails it sent so far still counting against the per-run ceiling. A
 * dry run decides the same pages and writes nothing.
 */
export async function replayHeld(deps: CuratorDeps, replay: HeldReplay): Promise<RunResult | DryRunResult> {
  const startedMs = Date.now();
  const { request } = replay;
  const { jobType } = request;
  const periodKey = heldReplayKey(replay);
  if (request.dryRun) {
    const { tally } = await walkHeld(deps, replay, null, await dryWalkOptions(deps, jobType, request.vetoReason));
    return reportDryRun(deps, { kind: 'replay', jobType, periodKey, eventId: request.eventId, startedMs }, tally);
  }
  const resumeWith = resolvedRequest(replay);
  const work: HeldWork = { jobType, labels: { period_key: periodKey }, resumeWith };
  const held = await hold(deps, work, await takeRun(deps, { jobType, periodKey, trigger: 'replay', eventId: request.eventId, scheduledFor: null, resumeWith }));
  if (!held.taken) return answer(held.run);
  try {
    const { lease } = held;
    const spend = await startingSpend(held.deps, jobType, lease.emailsBefore);
    const options = { jobType, runId: lease.ref.runId, dryRun: false, retakeVetoReason: request.vetoReason, lease: lease.ref, cursor: lease.cursor, canContinue: true, spend };
    const walk = await walkHeld(held.deps, replay, decodeReplayCursor(lease.cursor), options);
    return answer(await endHeld(held, { kind: 'walked', walk }));
  } catch (error) {
    throw await failHeld(held, error);
  }

  function answer({ runId, outcome }: HeldRun): RunResult {
    return { ok: true, kind: 'replay', jobType, periodKey, runId, durationMs: Date.now() - startedMs, ...outcome };
  }
}

/**
 * Walks each page of held executions after `start`, split into the pages its pipeline decides (by period for a
 * scheduled pipeline, one signal at a time for a realtime one). The replay's cursor moves with the last part of
 * each page, so it passes a page of held executions only once all of it is done, and each held execution is
 * visited once per replay even if it is held again meanwhile.
 */
async function walkHeld(deps: CuratorDeps, replay: HeldReplay, start: ReplayCursor | null, options: WalkOptions): Promise<WalkResult> {
  const realtime = pipelineOf(replay.request.jobType).period === 'signal';
  // A realtime replay decides one signal at a time, so each sees what the one before it sent (the per-child caps).
  const walk = new Walk(deps, realtime ? { ...options, pagesInFlight: 1 } : options);
  let after = start;
  while (walk.wantsMore()) {
    const targets = await heldTargets(deps, replay, after, options.runId);
    if (targets.length === 0) break;
    after = cursorAfter(targets[targets.length - 1]!);
    const cursor = encodeReplayCursor(after);
    if (realtime) await takeHeldSignals(deps, walk, replay, targets, cursor);
    else await takeHeldDigests(deps, walk, replay.request.jobType, targets, cursor);
    if (targets.length < deps.config.pageSize) break;
  }
  return walk.end();
}
