import { eventOf } from '../../events/curator-events.js';
import { storeFunctions } from '../../store/functions.js';
import type { ReplayTarget } from '../../store/rows.js';
import type { CuratorDeps } from '../deps.js';
import type { ReplayJob } from '../job-request.js';
import type { DryRunResult, RunResult } from '../job-result.js';
import { runHeld, type Worked } from '../lifecycle/held-work.js';
import { takeRun } from '../lifecycle/leases.js';
import { drive, startingSpend, type PageSource, type PageWork } from '../pages/drive.js';
import type { PageOptions } from '../pages/page-plan.js';
import { dryRun } from './dry-run.js';

/**
 * A replay of held actions, shared by the replay of held digests (held-digest-replay.ts) and of held signals
 * (held-signal-replay.ts): the executions of a pipeline created in [from, to] that were vetoed for the replay's
 * reason (or, without one, that failed or whose outcome is unknown), a page at a time, oldest first, decided again.
 */

/** The (created_at, id) of the last held execution a replay finished: where it resumes. */
export interface ReplayCursor {
  readonly createdAt: string;
  readonly id: string;
}

export function cursorAfter(target: Pick<ReplayTarget, 'created_at' | 'id'>): ReplayCursor {
  return { createdAt: target.created_at, id: target.id };
}

/** The cursor as the run row keeps it, and back; anything else starts from the beginning. */
export function encodeReplayCursor(cursor: ReplayCursor): string {
  return `${cursor.createdAt}|${cursor.id}`;
}

export function decodeReplayCursor(saved: string | null): ReplayCursor | null {
  const [createdAt, id, ...rest] = saved?.split('|') ?? [];
  return createdAt && id && rest.length === 0 ? { createdAt, id } : null;
}

/** A replay of held actions with its range resolved. */
export interface HeldReplay {
  readonly request: ReplayJob;
  readonly from: Date;
  readonly to: Date;
}

/** The run key of a replay of held actions: its reason and range, so the same replay is the same run. */
export function heldReplayKey(replay: HeldReplay): string {
  return `replay:${replay.request.vetoReason ?? 'failed'}:${replay.from.toISOString()}/${replay.to.toISOString()}`;
}

/** The request with its range resolved: what its continuation is delivered with, so it covers the same range. */
export function resolvedRequest(replay: HeldReplay): ReplayJob {
  return { ...replay.request, from: replay.from, to: replay.to };
}

/** The next page of what a replay re-decides, after the cursor (with what its own run left unfinished). */
export function heldTargets(deps: CuratorDeps, replay: HeldReplay, after: ReplayCursor | null, runId: string | null): Promise<ReplayTarget[]> {
  return deps.store.call(storeFunctions.replayTargets, {
    runId,
    jobType: replay.request.jobType,
    vetoReason: replay.request.vetoReason,
    from: replay.from,
    to: replay.to,
    userIds: replay.request.userIds,
    afterCreatedAt: after === null ? null : new Date(after.createdAt),
    afterId: after?.id ?? null,
    limit: deps.config.pageSize,
  });
}

/** How a replay turns a page of held executions into pages to decide (in order); the last carries the cursor. */
export type PartsOf = (targets: readonly ReplayTarget[], options: PageOptions, deps: CuratorDeps) => Promise<PageWork[]>;

/**
 * The pages of a replay of held actions: each page of held executions after the cursor, as `partsOf` splits it.
 * The replay's cursor moves with the last part of each page, so it passes a page of held executions only once all
 * of it is done, and each held execution is visited once per replay even if it is held again meanwhile.
 */
function heldPages(deps: CuratorDeps, replay: HeldReplay, start: ReplayCursor | null, options: PageOptions, partsOf: PartsOf): PageSource {
  const ready: PageWork[] = [];
  let after = start;
  let done = false;
  return {
    get exhausted() {
      return done && ready.length === 0;
    },
    async next() {
      while (ready.length === 0 && !done) {
        const targets = await heldTargets(deps, replay, after, options.runId);
        if (targets.length < deps.config.pageSize) done = true;
        if (targets.length === 0) break;
        after = cursorAfter(targets[targets.length - 1]!);
        const parts = await partsOf(targets, options, deps);
        const last = parts.pop();
        if (last) parts.push({ ...last, cursor: encodeReplayCursor(after) });
        ready.push(...parts);
      }
      return ready.shift() ?? null;
    },
  };
}

/**
 * A replay of held actions, of a scheduled or a realtime pipeline, through the one lifecycle: its run is keyed by
 * its reason and range (a duplicate delivery of the same replay exits), it continues near the deadline from the
 * last held execution it finished, with the emails it sent so far still counting against the per-run ceiling. A
 * dry run decides the same pages and writes nothing.
 */
export async function replayHeld(
  deps: CuratorDeps,
  replay: HeldReplay,
  partsOf: PartsOf,
  walk: { readonly pagesInFlight?: number } = {},
): Promise<RunResult | DryRunResult> {
  const startedMs = Date.now();
  const { request } = replay;
  const { jobType } = request;
  const periodKey = heldReplayKey(replay);
  if (request.dryRun) {
    const pages = heldPages(deps, replay, null, { runId: null, dryRun: true, retakeVetoReason: request.vetoReason }, partsOf);
    return dryRun(deps, { kind: 'replay', jobType, periodKey, eventId: request.eventId, pages });
  }
  const resumeEvent = eventOf(resolvedRequest(replay));
  const { runId, outcome } = await runHeld(deps, {
    jobType,
    labels: { period_key: periodKey },
    resumeEvent,
    take: () => takeRun(deps, { jobType, periodKey, trigger: 'replay', eventId: request.eventId, scheduledFor: null, resumeEvent }),
    work: async (lease, deps): Promise<Worked> => {
      const options = { runId: lease.ref.runId, dryRun: false, retakeVetoReason: request.vetoReason };
      const pages = heldPages(deps, replay, decodeReplayCursor(lease.cursor), options, partsOf);
      const spend = await startingSpend(deps, jobType, lease.emailsBefore);
      return { kind: 'walked', walk: await drive(deps, pages, { jobType, lease: lease.ref, cursor: lease.cursor, canContinue: true, spend, ...walk }) };
    },
  });
  return { ok: true, kind: 'replay', jobType, periodKey, runId, durationMs: Date.now() - startedMs, ...outcome };
}
