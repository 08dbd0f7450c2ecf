import type { ReplayTarget } from '../store/rows.js';
import type { CuratorDeps } from './deps.js';
import type { ReplayJob } from './job-request.js';

/** Where a replay by reason and range is in what it re-decides: the (created_at, id) of the last held execution it finished. */
export interface ReplayCursor {
  readonly createdAt: string;
  readonly id: string;
}

export function cursorAfter(target: Pick<ReplayTarget, 'created_at' | 'id'>): ReplayCursor {
  return { createdAt: target.created_at, id: target.id };
}

/** The cursor as the run row keeps it (`cursor.after`), and back; anything else starts from the beginning. */
export function encodeReplayCursor(cursor: ReplayCursor): string {
  return `${cursor.createdAt}|${cursor.id}`;
}

export function decodeReplayCursor(saved: string | null): ReplayCursor | null {
  const [createdAt, id, ...rest] = saved?.split('|') ?? [];
  return createdAt && id && rest.length === 0 ? { createdAt, id } : null;
}

/** The event a replay by reason and range continues with: the same reason and resolved range, so the same run. */
export function replayContinuation(request: ReplayJob, range: { from: Date; to: Date }): Record<string, unknown> {
  return {
    ...(request.eventId ? { id: request.eventId } : {}),
    source: 'storytailor.manual',
    'detail-type': 'retry',
    detail: {
      jobType: request.jobType,
      retry: true,
      ...(request.vetoReason ? { vetoReason: request.vetoReason } : {}),
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      ...(request.userIds ? { userIds: request.userIds } : {}),
    },
  };
}

/** The next page of what a replay by reason and range re-decides, after the cursor. */
export function heldTargets(deps: CuratorDeps, request: ReplayJob, range: { from: Date; to: Date }, after: ReplayCursor | null): Promise<ReplayTarget[]> {
  return deps.store.replayTargets({
    jobType: request.jobType,
    vetoReason: request.vetoReason,
    from: range.from,
    to: range.to,
    userIds: request.userIds,
    after,
    limit: deps.config.pageSize,
  });
}
