import { z } from 'zod';
import { vetoReasonsInOrder, type VetoReason } from '../curator/verdict.js';
import { jobTypes, pipelineOf, type JobType } from '../pipelines/index.js';
import type { JobRequest } from '../runner/job-request.js';

const realtimeJobTypes = jobTypes.filter((jobType) => pipelineOf(jobType).period === 'signal');
const scheduledJobTypes = jobTypes.filter((jobType) => pipelineOf(jobType).period !== 'signal');
const enumOf = <T extends string>(values: readonly T[]) => z.enum(values as [T, ...T[]]);

const instant = z.iso.datetime({ offset: true, message: 'expected an ISO-8601 date-time with an offset' });
const dryRun = z.boolean().optional();

const scheduled = z.object({
  source: z.literal('storytailor.scheduler'),
  'detail-type': z.literal('Scheduled Job'),
  id: z.string().optional(),
  time: instant,
  detail: z.object({ jobType: enumOf(scheduledJobTypes), dryRun }),
});

const replay = z.object({
  source: z.literal('storytailor.manual'),
  'detail-type': z.literal('retry'),
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

const signal = z.object({
  source: z.literal('storytailor.agent'),
  'detail-type': z.literal('Emotional Signal'),
  id: z.string().optional(),
  detail: z.object({
    signalId: z.string().min(1).max(200),
    jobType: enumOf(realtimeJobTypes),
    userId: z.uuid(),
    confidence: z.number().min(0).max(1),
    signalCount: z.number().int().min(0),
    eventTimestamp: instant,
    context: z.record(z.string(), z.unknown()).optional(),
    dryRun,
  }),
});

/** A shard of a split run: the curator sends these to its own work queue, never the app or ops. */
const shard = z.object({
  source: z.literal('storytailor.curator'),
  'detail-type': z.literal('Run Shard'),
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

const sources = ['storytailor.scheduler', 'storytailor.manual', 'storytailor.agent', 'storytailor.curator'];
const sourced = z.discriminatedUnion('source', [scheduled, replay, signal, shard]);

/** The event was understood, or here is what is wrong with it, field by field. */
export type ParsedEvent = { ok: true; request: JobRequest } | { ok: false; error: string };

function describe(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length === 0 ? '(event)' : issue.path.join('.');
      if (issue.code === 'invalid_union' && issue.path.join('.') === 'source') {
        return `source: expected one of storytailor.scheduler, storytailor.manual, storytailor.agent (or detail.jobType "health")`;
      }
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

/**
 * Reads an EventBridge event (or a direct invocation) into a job request, per the event contract of DESIGN.md
 * section 2. Anything else is an error naming each bad field; it must not be retried.
 *
 * @example
 * parseCuratorEvent({ detail: { jobType: 'health' } }) // { ok: true, request: { kind: 'health' } }
 */
export function parseCuratorEvent(event: unknown): ParsedEvent {
  if (health.safeParse(event).success) return { ok: true, request: { kind: 'health' } };
  const parsed = sourced.safeParse(event);
  if (!parsed.success) {
    const source = (event as { source?: unknown } | null)?.source;
    if (typeof source !== 'string' || !sources.includes(source)) {
      return {
        ok: false,
        error: `source: expected one of storytailor.scheduler, storytailor.manual, storytailor.agent, or detail.jobType "health"; got ${JSON.stringify(source ?? null)}`,
      };
    }
    return { ok: false, error: describe(parsed.error) };
  }
  const value = parsed.data;
  switch (value.source) {
    case 'storytailor.scheduler':
      return {
        ok: true,
        request: {
          kind: 'scheduled',
          jobType: value.detail.jobType as JobType,
          scheduledTime: new Date(value.time),
          eventId: value.id ?? null,
          dryRun: value.detail.dryRun ?? false,
        },
      };
    case 'storytailor.manual': {
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
    case 'storytailor.agent': {
      const detail = value.detail;
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
          context: detail.context ?? {},
          dryRun: detail.dryRun ?? false,
        },
      };
    }
    case 'storytailor.curator':
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
