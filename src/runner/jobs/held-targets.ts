import { storeFunctions } from '../../store/functions.js';
import type { ReplayTarget } from '../../store/rows.js';
import type { CuratorDeps } from '../deps.js';
import type { ReplayJob } from '../../requests/job-request.js';

/**
 * What a replay of held actions walks: the executions of a pipeline created in [from, to] that were vetoed for the
 * replay's reason (or, without one, that failed or whose outcome is unknown), a page at a time, oldest first.
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
