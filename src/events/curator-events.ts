import type { VetoReason } from '../curator/verdict.js';
import type { JobType } from '../pipelines/index.js';
import type { QueuedRequest, ReplayJob } from '../requests/job-request.js';
import { DetailType, EventSource } from '../requests/event-sources.js';

/**
 * The events the curator is sent, in their wire format: the one place they are built. The rules of the stack, the
 * replay publisher of the ops commands, the local run, the runner's continuations and shards all build their
 * events here, and `parse-curator-event.ts` reads them back with the same names.
 */
/** What ops may ask a replay to redo (DESIGN.md section 2). */
export interface ReplayDetail {
  readonly jobType: JobType;
  readonly periodKey?: string;
  readonly userIds?: readonly string[];
  readonly vetoReason?: VetoReason;
  readonly from?: string;
  readonly to?: string;
  readonly dryRun?: boolean;
}

/** The app's signal, as it sends it. */
export interface SignalDetail {
  readonly signalId: string;
  readonly jobType: JobType;
  readonly userId: string;
  readonly confidence: number;
  readonly signalCount: number;
  readonly eventTimestamp: string;
  readonly context?: Readonly<Record<string, unknown>>;
}

const withId = (id: string | null | undefined) => (id ? { id } : {});
const defined = <T extends object>(value: T) => Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined));

/**
 * A scheduled rule's firing. `time` and `id` are the firing's own; the stack passes EventBridge's placeholders
 * for them (`EventField.time`, `EventField.eventId`).
 *
 * @example
 * scheduledJobEvent({ jobType: 'daily_digest', time: '2026-11-23T20:00:00Z', id: 'evt-1' })
 */
export function scheduledJobEvent(input: { jobType: JobType; time: string; id?: string | null; version?: boolean }) {
  return {
    ...(input.version ? { version: '0' } : {}),
    ...withId(input.id),
    source: EventSource.scheduler,
    'detail-type': DetailType.scheduled,
    time: input.time,
    detail: { jobType: input.jobType },
  };
}

/** An ops replay as the handler receives it. */
export function replayEvent(detail: ReplayDetail, id?: string | null) {
  return { ...withId(id), source: EventSource.manual, 'detail-type': DetailType.replay, detail: replayDetailOf(detail) };
}

/** The detail of a replay, `retry: true` included and unset fields left out. */
export function replayDetailOf(detail: ReplayDetail): Record<string, unknown> {
  const { jobType, ...rest } = detail;
  return defined({ jobType, retry: true, ...rest });
}

/** A realtime signal as the app emits it. */
export function signalEvent(detail: SignalDetail, extra: { id?: string; time?: string } = {}) {
  return { ...withId(extra.id), source: EventSource.agent, 'detail-type': DetailType.signal, ...(extra.time ? { time: extra.time } : {}), detail };
}

/** One shard of a split run, queued by the run for its own invocation. */
export function shardEvent(input: { jobType: JobType; runId: string; shard: number; generation: number; periodKey: string; scheduledTime: Date }) {
  return {
    source: EventSource.curator,
    'detail-type': DetailType.shard,
    time: input.scheduledTime.toISOString(),
    detail: { jobType: input.jobType, runId: input.runId, shard: input.shard, generation: input.generation, periodKey: input.periodKey },
  };
}

/** The check of a crisis alert two minutes after its claim, queued by the curator for itself (crisis-check.ts). */
export function crisisCheckEvent(executionId: string) {
  return { source: EventSource.curator, 'detail-type': DetailType.crisisCheck, detail: { jobType: 'crisis_alert' as const, executionId } };
}

/**
 * The morning ops summary's input: from the Scheduler schedule, `scheduledTime` is its placeholder
 * `<aws.scheduler.scheduled-time>`, so a retried or redelivered invocation summarises the same day.
 */
export const opsSummaryEvent = (scheduledTime?: string) => ({ detail: { jobType: 'ops_summary' as const, ...(scheduledTime ? { scheduledTime } : {}) } });

/** Asks the curator what a policy change would have done (`ops what-if`, `ops tune`): run where the data is. */
export const whatIfEvent = (input: { scope: string; changes: Readonly<Record<string, string>>; days: number }) => ({
  detail: { jobType: 'what_if' as const, scope: input.scope, changes: { ...input.changes }, days: input.days },
});

/**
 * The quiet-hours release's input: from its Scheduler schedule, `releaseId` is the placeholder
 * `<aws.scheduler.execution-id>`, which names its runs (a continuation carries it on).
 */
export const releaseEvent = (releaseId?: string | null) => ({ detail: { jobType: 'release' as const, ...(releaseId ? { releaseId } : {}) } });

/** The health check's input (direct invoke, the Scheduler schedule, or `aws lambda invoke`). */
export const healthEvent = () => ({ detail: { jobType: 'health' as const } });

/** What a replay request asks, as its event's detail carries it (unset fields left out). */
export function replayDetailOfRequest(request: ReplayJob): ReplayDetail {
  return {
    jobType: request.jobType,
    ...(request.periodKey !== null ? { periodKey: request.periodKey } : {}),
    ...(request.userIds !== null ? { userIds: request.userIds } : {}),
    ...(request.vetoReason !== null ? { vetoReason: request.vetoReason } : {}),
    ...(request.from !== null ? { from: request.from.toISOString() } : {}),
    ...(request.to !== null ? { to: request.to.toISOString() } : {}),
    ...(request.dryRun ? { dryRun: true } : {}),
  };
}

/**
 * The event that asks for held work again: what a continuation (or a resume) is queued with, and what the handler
 * parses back into the same request. A replay's period and range must already be resolved, so its continuation
 * covers what the replay covered even when the clock has moved on.
 */
export function eventOf(request: QueuedRequest): Record<string, unknown> {
  switch (request.kind) {
    case 'scheduled':
      return scheduledJobEvent({ jobType: request.jobType, time: request.scheduledTime.toISOString(), id: request.eventId });
    case 'replay':
      return replayEvent(replayDetailOfRequest(request), request.eventId);
    case 'shard':
      return shardEvent(request);
    case 'crisis_check':
      return crisisCheckEvent(request.executionId);
    case 'release':
      return releaseEvent(request.releaseId);
    default: {
      const unknown: never = request;
      throw new Error(`no event for ${JSON.stringify(unknown)}`);
    }
  }
}
