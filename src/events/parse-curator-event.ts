import { createHash } from 'node:crypto';
import { z } from 'zod';
import { vetoReasonsInOrder, type VetoReason } from '../curator/verdict.js';
import { jobTypes, pipelineOf, type JobType } from '../pipelines/index.js';
import type { JobRequest, SignalJob } from '../runner/job-request.js';
import { DetailType, EventSource } from './curator-events.js';
import { isStorableText, storableJson } from './storable.js';

const realtimeJobTypes = jobTypes.filter((jobType) => pipelineOf(jobType).period === 'signal');
const scheduledJobTypes = jobTypes.filter((jobType) => pipelineOf(jobType).period !== 'signal');
const enumOf = <T extends string>(values: readonly T[]) => z.enum(values as [T, ...T[]]);

/** How far ahead of the curator's clock a scheduled firing's own time may be (clock skew), and no further. */
export const scheduledTimeSkewMs = 5 * 60_000;
/** The largest signal count Postgres keeps (an integer column). */
const maxSignalCount = 2_147_483_647;

const instant = z.iso.datetime({ offset: true, message: 'expected an ISO-8601 date-time with an offset' });
const dryRun = z.boolean().optional();
const storableId = (max: number) =>
  z.string().min(1).max(max).refine(isStorableText, { message: 'must not contain NUL or unpaired surrogate characters' });

const scheduled = z.object({
  source: z.literal(EventSource.scheduler),
  'detail-type': z.literal(DetailType.scheduled),
  id: z.string().optional(),
  time: instant,
  detail: z.object({ jobType: enumOf(scheduledJobTypes), dryRun }),
});

const replay = z.object({
  source: z.literal(EventSource.manual),
  'detail-type': z.literal(DetailType.replay),
  id: z.string().optional(),
  detail: z
    .object({
      jobType: enumOf(jobTypes),
      retry: z.literal(true),
      periodKey: z.string().min(1).max(40).optional(),
      userIds: z.array(z.uuid()).min(1).max(10_000).optional(),
      vetoReason: enumOf(vetoReasonsInOrder).optional(),
      from: instant.optional(),
      to: instant.optional(),
      dryRun,
    })
    .strict(),
});

const signalDetail = z.object({
  signalId: storableId(200),
  jobType: enumOf(realtimeJobTypes),
  userId: z.uuid(),
  confidence: z.number().min(0).max(1),
  signalCount: z.number().int().min(0).max(maxSignalCount),
  eventTimestamp: instant,
  context: z.record(z.string(), z.unknown()).optional(),
  dryRun,
});

const signal = z.object({
  source: z.literal(EventSource.agent),
  'detail-type': z.literal(DetailType.signal),
  id: z.string().optional(),
  detail: signalDetail,
});

/** A shard of a split run: the curator sends these to its own work queue, never the app or ops. */
const shard = z.object({
  source: z.literal(EventSource.curator),
  'detail-type': z.literal(DetailType.shard),
  time: instant,
  detail: z
    .object({
      jobType: enumOf(scheduledJobTypes),
      runId: z.uuid(),
      shard: z.number().int().min(0),
      generation: z.number().int().min(1),
      periodKey: z.string().min(1).max(40),
    })
    .strict(),
});

const health = z.object({ detail: z.object({ jobType: z.literal('health') }) });
const opsSummaryRequest = z.object({ detail: z.object({ jobType: z.literal('ops_summary'), scheduledTime: instant.optional() }).strict() });

const whatIfRequest = z.object({
  detail: z
    .object({
      jobType: z.literal('what_if'),
      scope: z.string().min(1).max(40),
      changes: z.record(z.string().min(1).max(40), z.string().min(1).max(40)),
      days: z.number().int().min(1).max(31),
    })
    .strict(),
});

const sources: readonly string[] = [EventSource.scheduler, EventSource.manual, EventSource.agent, EventSource.curator];
const sourced = z.discriminatedUnion('source', [scheduled, replay, signal, shard]);
const sourceError = `source: expected one of ${EventSource.scheduler}, ${EventSource.manual}, ${EventSource.agent}, or detail.jobType "health", "ops_summary" or "what_if"`;

/** The event was understood, or here is what is wrong with it, field by field. */
export type ParsedEvent = { ok: true; request: JobRequest } | { ok: false; error: string };

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length === 0 ? '(event)' : issue.path.join('.')}: ${issue.message}`).join('; ');
}

/** What parsing may check against: the curator's clock, where a scheduled firing may not come from the future. */
export interface ParseOptions {
  readonly now?: Date;
}

/**
 * Reads an EventBridge event (or a direct invocation) into a job request, per the event contract of DESIGN.md
 * section 2. Anything else is an error naming each bad field; it must not be retried. Two exceptions keep work
 * from being lost: a signal's `context` is cleaned to what Postgres can store rather than refused, and a crisis
 * alert whose user id is readable but whose other fields are not is still a request, carrying the problem, so it
 * is recorded and escalated instead of dropped.
 *
 * @example
 * parseCuratorEvent({ detail: { jobType: 'health' } }) // { ok: true, request: { kind: 'health' } }
 */
export function parseCuratorEvent(event: unknown, options: ParseOptions = {}): ParsedEvent {
  if (health.safeParse(event).success) return { ok: true, request: { kind: 'health' } };
  if ((event as { detail?: { jobType?: unknown } } | null)?.detail?.jobType === 'ops_summary') {
    const summary = opsSummaryRequest.safeParse(event);
    if (!summary.success) return { ok: false, error: describe(summary.error) };
    const { scheduledTime } = summary.data.detail;
    return { ok: true, request: { kind: 'ops_summary', scheduledTime: scheduledTime ? new Date(scheduledTime) : null } };
  }
  if ((event as { detail?: { jobType?: unknown } } | null)?.detail?.jobType === 'what_if') {
    const whatIf = whatIfRequest.safeParse(event);
    if (!whatIf.success) return { ok: false, error: describe(whatIf.error) };
    const { scope, changes, days } = whatIf.data.detail;
    return { ok: true, request: { kind: 'what_if', scope, changes, days } };
  }
  const parsed = sourced.safeParse(event);
  if (!parsed.success) {
    const source = (event as { source?: unknown } | null)?.source;
    if (typeof source !== 'string' || !sources.includes(source)) return { ok: false, error: `${sourceError}; got ${JSON.stringify(source ?? null)}` };
    const error = describe(parsed.error);
    const unreadable = source === EventSource.agent ? unreadableCrisisAlert(event, error) : null;
    return unreadable === null ? { ok: false, error } : { ok: true, request: unreadable };
  }
  const value = parsed.data;
  switch (value.source) {
    case EventSource.scheduler: {
      const scheduledTime = new Date(value.time);
      if (options.now !== undefined && scheduledTime.getTime() > options.now.getTime() + scheduledTimeSkewMs) {
        return {
          ok: false,
          error: `time: ${value.time} is later than the curator's clock (${options.now.toISOString()}) by more than ${scheduledTimeSkewMs / 60_000} minutes; a firing cannot come from the future`,
        };
      }
      return {
        ok: true,
        request: { kind: 'scheduled', jobType: value.detail.jobType as JobType, scheduledTime, eventId: value.id ?? null, dryRun: value.detail.dryRun ?? false },
      };
    }
    case EventSource.manual: {
      const detail = value.detail;
      return {
        ok: true,
        request: {
          kind: 'replay',
          jobType: detail.jobType as JobType,
          periodKey: detail.periodKey ?? null,
          userIds: detail.userIds ?? null,
          vetoReason: (detail.vetoReason as VetoReason | undefined) ?? null,
          from: detail.from ? new Date(detail.from) : null,
          to: detail.to ? new Date(detail.to) : null,
          eventId: value.id ?? null,
          dryRun: detail.dryRun ?? false,
        },
      };
    }
    case EventSource.agent: {
      const detail = value.detail;
      const context = storableJson(detail.context ?? {});
      return {
        ok: true,
        request: {
          kind: 'signal',
          jobType: detail.jobType as JobType,
          signalId: detail.signalId,
          userId: detail.userId,
          confidence: detail.confidence,
          signalCount: detail.signalCount,
          eventTimestamp: detail.eventTimestamp,
          context: context.value as Record<string, unknown>,
          contextCleaned: context.changed,
          problem: null,
          dryRun: detail.dryRun ?? false,
        },
      };
    }
    case EventSource.curator:
      return {
        ok: true,
        request: {
          kind: 'shard',
          jobType: value.detail.jobType as JobType,
          runId: value.detail.runId,
          shard: value.detail.shard,
          generation: value.detail.generation,
          periodKey: value.detail.periodKey,
          scheduledTime: new Date(value.time),
        },
      };
    default: {
      const unknown: never = value;
      return { ok: false, error: `unhandled event ${JSON.stringify(unknown)}` };
    }
  }
}

/**
 * A crisis alert that failed validation but names a readable user: refusing it would lose it (a refused event is
 * never retried), so it becomes a signal request carrying the problem, which the runner records escalated. What
 * can be read is kept (cleaned); a signal id that cannot be stored is replaced by a stable key derived from it, so
 * the app's retries of the same event still act once.
 */
function unreadableCrisisAlert(event: unknown, problem: string): SignalJob | null {
  const detail = (event as { detail?: unknown }).detail;
  if (detail === null || typeof detail !== 'object') return null;
  const raw = detail as Record<string, unknown>;
  if (raw.jobType !== 'crisis_alert' || !z.uuid().safeParse(raw.userId).success) return null;
  const field = <T>(schema: z.ZodType<T>, value: unknown): T | null => {
    const read = schema.safeParse(value);
    return read.success ? read.data : null;
  };
  const signalId =
    field(signalDetail.shape.signalId, raw.signalId) ??
    `unreadable:${createHash('sha256').update(JSON.stringify(raw.signalId ?? null)).digest('hex').slice(0, 32)}`;
  const context = storableJson(raw.context === undefined ? {} : typeof raw.context === 'object' && raw.context !== null && !Array.isArray(raw.context) ? raw.context : { value: raw.context });
  const evidence = storableJson({ signalId: raw.signalId, confidence: raw.confidence, signalCount: raw.signalCount, eventTimestamp: raw.eventTimestamp });
  return {
    kind: 'signal',
    jobType: 'crisis_alert',
    signalId,
    userId: raw.userId as string,
    confidence: field(signalDetail.shape.confidence, raw.confidence),
    signalCount: field(signalDetail.shape.signalCount, raw.signalCount),
    eventTimestamp: field(instant, raw.eventTimestamp),
    context: { ...(context.value as Record<string, unknown>), unreadable_fields: evidence.value },
    contextCleaned: true,
    problem: `the crisis alert could not be read (${problem}); recorded for a human`,
    dryRun: false,
  };
}
