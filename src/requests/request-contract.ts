import { firingOfPeriod, jobTypes, pipelineOf, type JobType } from '../pipelines/index.js';
import type { JobRequest, ReplayJob } from './job-request.js';
import { DetailType, EventSource } from './event-sources.js';

/**
 * The request contract: for every caller and job type, what a valid request is, beyond the shape of its event
 * (which `parse-curator-event.ts` reads with zod). The one place these rules are stated: the handler's parser, the
 * runner and the ops commands all ask here, so what ops can publish is exactly what the curator will run.
 *
 * - **Who may ask.** EventBridge always sets `source`; the Scheduler's and ops' direct invocations carry none
 *   (only the Scheduler's role and the on-call policy may invoke the function). A firing comes from the scheduled
 *   rules, a replay from ops, a signal from the app, a shard from the curator's own work queue; the ops summary,
 *   the what-if and the quiet-hours release only by direct invocation; the health check directly or from `storytailor.health-check`.
 * - **Periods.** A replay's period is a real period of its pipeline (a calendar date, an ISO week, a month); a
 *   realtime pipeline has no period; a period is not replayed before its firing is due (a dry run may look ahead:
 *   it writes nothing but its report).
 * - **Times.** Nothing comes from the future beyond {@link clockSkewMs}: a firing, an ops summary, a replay's range.
 * - **Replay ranges.** `from` before `to`, `to − from` at most {@link replayRange}`.maxSpanDays`, `from` no older
 *   than `maxAgeDays` (retention archives what is older); without them, the last `defaultSpanDays` up to now.
 * - **Numbers ops type.** A what-if's days and a manual credit's cents are whole numbers written as digits, within
 *   their bounds ({@link readWholeNumber}); a tunable's value is checked against its range in the catalog.
 */

/** How far ahead of the curator's clock a request's own time may be (clock skew between AWS services), and no further. */
export const clockSkewMs = 5 * 60_000;

/** The bounds of a replay of held actions. */
export const replayRange = {
  /** Without `from`, a replay looks back this far from `to`. */
  defaultSpanDays: 7,
  /** The longest range one replay walks. */
  maxSpanDays: 31,
  /** Retention archives executions older than 90 days: there is nothing older to replay. */
  maxAgeDays: 90,
} as const;

/** The window a what-if re-decides, in whole days ending now (`ops what-if --days`, the what_if job's `days`). */
export const whatIfDays = { min: 1, max: 31, default: 7 } as const;

/** A manual credit (`ops credit`), in whole cents: one support ticket's worth, never a slipped digit's. */
export const manualCreditCents = { min: 1, max: 100_000 } as const;

/** Whole numbers only, written as digits (no `1e3`, `0x10`, `+1`, `1.0`). */
const wholeNumber = /^\d+$/;

/**
 * A whole number ops typed for `argument`, within [min, max], or why not: the one reading of `--days` and of a
 * credit's cents, so the command line and the curator agree.
 */
export function readWholeNumber(argument: string, text: string | undefined, range: { readonly min: number; readonly max: number }): { ok: true; value: number } | { ok: false; refusal: Refusal } {
  const value = text !== undefined && wholeNumber.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (Number.isSafeInteger(value) && value >= range.min && value <= range.max) return { ok: true, value };
  if (text !== undefined && /^\s*-/.test(text)) {
    return { ok: false, refusal: { field: argument, reason: `is negative (${JSON.stringify(text)}): must be a whole number from ${range.min} to ${range.max}` } };
  }
  return { ok: false, refusal: { field: argument, reason: `must be a whole number from ${range.min} to ${range.max}, got ${JSON.stringify(text ?? '')}` } };
}

const dayMs = 86_400_000;

/** A request the contract refuses: the field, and what is wrong with it. */
export interface Refusal {
  readonly field: string;
  readonly reason: string;
}

/**
 * What a request is checked against: who sent it (its `source`, null for a direct invocation; left out where the
 * sender is not known, as in the runner), whether it came back from the curator's own work queue, and the clock
 * (the curator's, or the ops command's; without it the time rules are not checked).
 */
export interface RequestOrigin {
  readonly source?: string | null;
  /** The curator's own work queue: a continuation, a resume or a shard the curator queued after checking it. */
  readonly delivery?: 'direct' | 'work_queue';
  readonly now?: Date | null;
}

/** The sources that may ask for each kind of request (null: a direct invocation, which carries none). */
export const allowedSources: Readonly<Record<JobRequest['kind'], readonly (string | null)[]>> = {
  scheduled: [EventSource.scheduler],
  replay: [EventSource.manual],
  signal: [EventSource.agent],
  shard: [EventSource.curator],
  crisis_check: [EventSource.curator],
  health: [null, EventSource.healthCheck],
  ops_summary: [null],
  what_if: [null],
  release: [null],
};

const knownSources: ReadonlySet<string> = new Set(Object.values(EventSource));

/**
 * A `source` as it may be written in a log line or an error: a known one by name; anything else is not echoed
 * (it may hold an address or a token), only that it is unknown and how long it is.
 */
export function describeSource(source: unknown): string {
  if (source === undefined || source === null) return 'none (a direct invocation)';
  if (typeof source === 'string' && knownSources.has(source)) return source;
  if (typeof source === 'string') return `an unknown source (${source.length} characters)`;
  return `an unknown source (not a string but ${Array.isArray(source) ? 'a list' : typeof source === 'object' ? 'an object' : `a ${typeof source}`})`;
}

/**
 * The realtime rule's event pattern, one branch per sender (EventBridge's `$or`): the app's signals of the four
 * realtime pipelines, ops' replays of a catalog pipeline, and the guide's health check. A second layer beside the
 * handler's own checks: what the contract refuses from a source is not even delivered.
 */
export function realtimeEventPattern(): { $or: Array<Record<string, unknown>> } {
  const realtime = jobTypes.filter((jobType) => pipelineOf(jobType).period === 'signal');
  return {
    $or: [
      { source: [EventSource.agent], 'detail-type': [DetailType.signal], detail: { jobType: realtime } },
      { source: [EventSource.manual], 'detail-type': [DetailType.replay], detail: { jobType: [...jobTypes] } },
      { source: [EventSource.healthCheck], detail: { jobType: ['health'] } },
    ],
  };
}

/** The sources ops may put on the default bus (the on-call policy's `events:source` condition): replays and the health check. */
export const opsEventSources: readonly string[] = [EventSource.manual, EventSource.healthCheck];

/** Whether `source` may ask for a request of this kind; a refusal names who may. */
export function checkSource(kind: JobRequest['kind'], jobType: string, source: string | null): Refusal | null {
  const allowed = allowedSources[kind];
  if (allowed.includes(source)) return null;
  const who = allowed.map((entry) => (entry === null ? 'a direct invocation' : entry)).join(' or ');
  return { field: 'source', reason: `${jobType} is asked for only by ${who}, not by ${describeSource(source)}` };
}

/** A replay's period: a real period of a scheduled pipeline, whose firing is due unless the replay is a dry run. */
export function checkPeriod(jobType: JobType, periodKey: string, options: { now: Date | null; dryRun: boolean }): Refusal | null {
  const pipeline = pipelineOf(jobType);
  if (pipeline.period === 'signal') {
    return { field: 'detail.periodKey', reason: `${jobType} is realtime and has no periods; replay it by vetoReason and time range` };
  }
  const firing = firingOfPeriod(jobType, periodKey);
  if (firing === null) return { field: 'detail.periodKey', reason: `${periodKey} is not a period of ${jobType} (${pipeline.period})` };
  if (!options.dryRun && options.now !== null && firing.scheduledTime.getTime() > options.now.getTime() + clockSkewMs) {
    return {
      field: 'detail.periodKey',
      reason: `${periodKey} of ${jobType} is not due until its firing at ${firing.scheduledTime.toISOString()}; a replay cannot run a period ahead of it (a dry run can)`,
    };
  }
  return null;
}

/** A time that names a moment already come (a firing's, an ops summary's), allowing the clock skew. */
export function checkNotFuture(field: string, at: Date, now: Date | null, what: string): Refusal | null {
  if (now === null || at.getTime() <= now.getTime() + clockSkewMs) return null;
  return {
    field,
    reason: `${at.toISOString()} is later than the curator's clock (${now.toISOString()}) by more than ${clockSkewMs / 60_000} minutes; ${what} cannot come from the future`,
  };
}

/** Whether a replay re-decides held actions (a realtime pipeline, or a veto reason or range) rather than a period. */
export function replaysHeldActions(request: Pick<ReplayJob, 'jobType' | 'vetoReason' | 'from' | 'to'>): boolean {
  return pipelineOf(request.jobType).period === 'signal' || request.vetoReason !== null || request.from !== null || request.to !== null;
}

/**
 * The range a replay of held actions walks, its defaults applied (`to` now, `from` a week before `to`), or why it
 * cannot: `from` not before `to`, `to` in the future, longer than a month, or older than retention keeps. The age
 * is not checked for the curator's own work-queue deliveries (a continuation of a replay begun at the edge of the
 * window goes on even as the window moves).
 */
export function resolveReplayRange(
  request: Pick<ReplayJob, 'from' | 'to'>,
  now: Date,
  delivery: RequestOrigin['delivery'] = 'direct',
): { ok: true; from: Date; to: Date } | { ok: false; refusal: Refusal } {
  const to = request.to ?? now;
  const from = request.from ?? new Date(to.getTime() - replayRange.defaultSpanDays * dayMs);
  const refuse = (field: string, reason: string) => ({ ok: false as const, refusal: { field, reason } });
  if (from.getTime() >= to.getTime()) return refuse('detail.from', `${from.toISOString()} must be before detail.to (${to.toISOString()})`);
  const future = checkNotFuture('detail.to', to, now, 'a replay range');
  if (future !== null) return { ok: false, refusal: { ...future, reason: `${future.reason} (leave detail.to out to replay up to now)` } };
  if (to.getTime() - from.getTime() > replayRange.maxSpanDays * dayMs) {
    return refuse('detail.from', `the range from ${from.toISOString()} to ${to.toISOString()} is longer than ${replayRange.maxSpanDays} days; replay it in parts`);
  }
  if (delivery !== 'work_queue' && from.getTime() < now.getTime() - replayRange.maxAgeDays * dayMs) {
    return refuse('detail.from', `${from.toISOString()} is more than ${replayRange.maxAgeDays} days ago; retention has archived what is older`);
  }
  return { ok: true, from, to };
}

/**
 * The first rule of the contract that a request breaks, or null when it is valid: its source (when known), its
 * period, its times.
 *
 * @example
 * checkRequest({ kind: 'ops_summary', scheduledTime: null }, { source: 'storytailor.agent' })
 * // { field: 'source', reason: 'ops_summary is asked for only by a direct invocation, not by storytailor.agent' }
 */
export function checkRequest(request: JobRequest, origin: RequestOrigin = {}): Refusal | null {
  const jobType = 'jobType' in request ? request.jobType : request.kind;
  const now = origin.now ?? null;
  if (origin.source !== undefined) {
    const refused = checkSource(request.kind, jobType, origin.source);
    if (refused !== null) return refused;
  }
  switch (request.kind) {
    case 'health':
    case 'what_if':
    case 'signal':
    case 'crisis_check':
    case 'release':
      return null;
    case 'ops_summary':
      return request.scheduledTime === null ? null : checkNotFuture('detail.scheduledTime', request.scheduledTime, now, 'an ops summary');
    case 'scheduled':
      return checkNotFuture('time', request.scheduledTime, now, 'a firing');
    case 'shard':
      return checkPeriod(request.jobType, request.periodKey, { now: null, dryRun: false });
    case 'replay': {
      if (replaysHeldActions(request)) {
        if (request.periodKey !== null) {
          return pipelineOf(request.jobType).period === 'signal'
            ? checkPeriod(request.jobType, request.periodKey, { now, dryRun: request.dryRun })
            : { field: 'detail.periodKey', reason: 'give either a periodKey or a vetoReason and time range, not both' };
        }
        if (now === null) return null;
        const range = resolveReplayRange(request, now, origin.delivery);
        return range.ok ? null : range.refusal;
      }
      return request.periodKey === null ? null : checkPeriod(request.jobType, request.periodKey, { now, dryRun: request.dryRun });
    }
    default: {
      const unknown: never = request;
      return { field: 'detail', reason: `unknown request ${JSON.stringify(unknown)}` };
    }
  }
}

/** A refusal as one line: `field: reason`. */
export const refusalText = (refusal: Refusal): string => `${refusal.field}: ${refusal.reason}`;
