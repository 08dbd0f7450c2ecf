import { createHash } from 'node:crypto';
import { z } from 'zod';
import { vetoReasonsInOrder, type VetoReason } from '../curator/verdict.js';
import { jobTypes, pipelineOf, type JobType } from '../pipelines/index.js';
import type { JobRequest, SignalJob } from '../requests/job-request.js';
import { DetailType, EventSource } from '../requests/event-sources.js';
import { checkRequest, describeSource, refusalText, whatIfDays, type Refusal, type RequestOrigin } from '../requests/request-contract.js';
import { isStorableText, storableJson } from './storable.js';

const realtimeJobTypes = jobTypes.filter((jobType) => pipelineOf(jobType).period === 'signal');
const scheduledJobTypes = jobTypes.filter((jobType) => pipelineOf(jobType).period !== 'signal');
const enumOf = <T extends string>(values: readonly T[]) => z.enum(values as [T, ...T[]]);

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

/** The check of a crisis alert, queued by the curator for itself at its claim. */
const crisisCheck = z.object({
  source: z.literal(EventSource.curator),
  'detail-type': z.literal(DetailType.crisisCheck),
  detail: z.object({ jobType: z.literal('crisis_alert'), executionId: z.uuid() }).strict(),
});

const health = z.object({ detail: z.object({ jobType: z.literal('health') }) });
/** The sources whose events carry their own shape (the rest are asked for by jobType). */
const sourcedKinds = [EventSource.scheduler, EventSource.manual, EventSource.agent, EventSource.curator] as const;
const opsSummaryRequest = z.object({ detail: z.object({ jobType: z.literal('ops_summary'), scheduledTime: instant.optional() }).strict() });

const whatIfRequest = z.object({
  detail: z
    .object({
      jobType: z.literal('what_if'),
      scope: z.string().min(1).max(40),
      changes: z.record(z.string().min(1).max(40), z.string().min(1).max(40)),
      days: z.number().int().min(whatIfDays.min).max(whatIfDays.max),
    })
    .strict(),
});

const releaseRequest = z.object({
  // It names the release's runs (`release:<id>`): the Scheduler's execution ids are letters and digits.
  detail: z
    .object({ jobType: z.literal('release'), releaseId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'letters, digits and . _ : - (at most 128), as the Scheduler\'s execution id').optional() })
    .strict(),
});

const sourced = z.discriminatedUnion('source', [scheduled, replay, signal, z.discriminatedUnion('detail-type', [shard, crisisCheck])]);
/** The jobTypes asked for by direct invocation (or, for the health check, from its own source), whatever the source says. */
const unsourcedJobTypes: ReadonlySet<unknown> = new Set(['health', 'ops_summary', 'what_if', 'release']);

/** The event was understood, or here is what is wrong with it, field by field (`field` the first of them). */
export type ParsedEvent = { ok: true; request: JobRequest } | { ok: false; error: string; field: string };

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length === 0 ? '(event)' : issue.path.join('.')}: ${issue.message}`).join('; ');
}

const refused = (refusal: Refusal): ParsedEvent => ({ ok: false, error: refusalText(refusal), field: refusal.field });
const invalid = (error: z.ZodError): ParsedEvent => ({
  ok: false,
  error: describe(error),
  field: error.issues[0]?.path.length ? error.issues[0].path.join('.') : '(event)',
});

/** What parsing checks against: the curator's clock (nothing may come from its future) and how the event arrived. */
export type ParseOptions = Omit<RequestOrigin, 'source'>;

/**
 * Reads an EventBridge event (or a direct invocation) into a job request, per the event contract of DESIGN.md
 * section 2 and the request contract (`request-contract.ts`: who may ask for which job, real periods, nothing from
 * the future, bounded replay ranges). Anything else is an error naming each bad field; it must not be retried. Two
 * exceptions keep work from being lost: a signal's `context` is cleaned to what Postgres can store rather than
 * refused, and a crisis alert whose user id is readable but whose other fields are not is still a request,
 * carrying the problem, so it is recorded and escalated instead of dropped.
 *
 * @example
 * parseCuratorEvent({ detail: { jobType: 'health' } }) // { ok: true, request: { kind: 'health' } }
 */
export function parseCuratorEvent(event: unknown, options: ParseOptions = {}): ParsedEvent {
  const rawSource = (event as { source?: unknown } | null)?.source;
  if (rawSource !== undefined && typeof rawSource !== 'string') {
    return refused({ field: 'source', reason: `expected a string naming the sender, got ${describeSource(rawSource)}` });
  }
  const source = rawSource ?? null;
  const parsed = readRequest(event, source);
  if (!parsed.ok) return parsed;
  const refusal = checkRequest(parsed.request, { ...options, source });
  return refusal === null ? parsed : refused(refusal);
}

/** The request an event's shape describes, before the contract's rules. */
function readRequest(event: unknown, source: string | null): ParsedEvent {
  const jobType = (event as { detail?: { jobType?: unknown } } | null)?.detail?.jobType;
  if (unsourcedJobTypes.has(jobType)) {
    if (jobType === 'health') {
      const check = health.safeParse(event);
      return check.success ? { ok: true, request: { kind: 'health' } } : invalid(check.error);
    }
    if (jobType === 'ops_summary') {
      const summary = opsSummaryRequest.safeParse(event);
      if (!summary.success) return invalid(summary.error);
      const { scheduledTime } = summary.data.detail;
      return { ok: true, request: { kind: 'ops_summary', scheduledTime: scheduledTime ? new Date(scheduledTime) : null } };
    }
    if (jobType === 'release') {
      const release = releaseRequest.safeParse(event);
      if (!release.success) return invalid(release.error);
      return { ok: true, request: { kind: 'release', releaseId: release.data.detail.releaseId ?? null } };
    }
    const whatIf = whatIfRequest.safeParse(event);
    if (!whatIf.success) return invalid(whatIf.error);
    const { scope, changes, days } = whatIf.data.detail;
    return { ok: true, request: { kind: 'what_if', scope, changes, days } };
  }
  const parsed = sourced.safeParse(event);
  if (!parsed.success) {
    if (source === null || !(sourcedKinds as readonly string[]).includes(source)) {
      return refused({
        field: 'source',
        reason: `expected one of ${sourcedKinds.join(', ')} (or detail.jobType "health", "ops_summary", "what_if" or "release" invoked directly); got ${describeSource(source)}`,
      });
    }
    const unreadable = source === EventSource.agent ? unreadableCrisisAlert(event, describe(parsed.error)) : null;
    return unreadable === null ? invalid(parsed.error) : { ok: true, request: unreadable };
  }
  const value = parsed.data;
  switch (value.source) {
    case EventSource.scheduler:
      return {
        ok: true,
        request: { kind: 'scheduled', jobType: value.detail.jobType as JobType, scheduledTime: new Date(value.time), eventId: value.id ?? null, dryRun: value.detail.dryRun ?? false },
      };
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
      if (value['detail-type'] === DetailType.crisisCheck) {
        return { ok: true, request: { kind: 'crisis_check', jobType: 'crisis_alert', executionId: value.detail.executionId } };
      }
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
      return { ok: false, error: `unhandled event ${JSON.stringify(unknown)}`, field: '(event)' };
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
