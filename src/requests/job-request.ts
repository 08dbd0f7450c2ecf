import type { VetoReason } from '../curator/verdict.js';
import type { JobType } from '../pipelines/index.js';

/** A scheduled firing of a rule: the period comes from `scheduledTime`. */
export interface ScheduledJob {
  readonly kind: 'scheduled';
  readonly jobType: JobType;
  readonly scheduledTime: Date;
  readonly eventId: string | null;
  readonly dryRun: boolean;
}

/** An ops replay: a period again, or the actions held for one veto reason (or failed) in a time range. */
export interface ReplayJob {
  readonly kind: 'replay';
  readonly jobType: JobType;
  readonly periodKey: string | null;
  readonly userIds: readonly string[] | null;
  readonly vetoReason: VetoReason | null;
  readonly from: Date | null;
  readonly to: Date | null;
  readonly eventId: string | null;
  readonly dryRun: boolean;
}

/** A realtime signal from the app, keyed by its own signal id. */
export interface SignalJob {
  readonly kind: 'signal';
  readonly jobType: JobType;
  readonly signalId: string;
  readonly userId: string;
  /** Null only when the signal could not be read (`problem`). */
  readonly confidence: number | null;
  readonly signalCount: number | null;
  /** As the app sent it (ISO-8601 with offset); recorded verbatim. Null when it could not be read. */
  readonly eventTimestamp: string | null;
  /** The app's context, cleaned to what Postgres can store. */
  readonly context: Readonly<Record<string, unknown>>;
  /** Something in the context had to be cleaned (the record says so). */
  readonly contextCleaned: boolean;
  /** Why the signal cannot be decided (an essential field unreadable); it is recorded, escalated for a crisis alert. */
  readonly problem: string | null;
  readonly dryRun: boolean;
}

/**
 * One shard of a run split by `runPeriod`: subjects in the shard's range of run `runId`, attempt `generation`.
 * The curator sends these to its own work queue; the period and window come from the run's firing.
 */
export interface ShardJob {
  readonly kind: 'shard';
  readonly jobType: JobType;
  readonly runId: string;
  readonly shard: number;
  readonly generation: number;
  readonly periodKey: string;
  readonly scheduledTime: Date;
}

/** The check of one crisis alert two minutes after its claim: sent, sent once more, or escalated. */
export interface CrisisCheckJob {
  readonly kind: 'crisis_check';
  readonly jobType: 'crisis_alert';
  readonly executionId: string;
}

/** The health check: database, switches, runs, missed runs. Sends nothing. */
export interface HealthJob {
  readonly kind: 'health';
}

/** The morning ops summary of the day before `scheduledTime` (the Scheduler's own time; now when absent). */
export interface OpsSummaryJob {
  readonly kind: 'ops_summary';
  readonly scheduledTime: Date | null;
}

/**
 * What a proposed policy change would have done over the last `days` (`ops what-if`, and `ops tune` before it
 * changes anything): `changes` as ops typed them, name to value, for `scope` (a pipeline or `all`).
 */
export interface WhatIfJob {
  readonly kind: 'what_if';
  readonly scope: string;
  readonly changes: Readonly<Record<string, string>>;
  readonly days: number;
}

/**
 * The quiet-hours release: sends what quiet hours held whose time to go has come (src/runner/jobs/release.ts). Its
 * Scheduler schedule invokes it every 15 minutes with the Scheduler's execution id, which names its runs (a
 * continuation or a redelivery of the same event is the same release; each held email is claimed once whatever
 * runs it).
 */
export interface ReleaseJob {
  readonly kind: 'release';
  readonly releaseId: string | null;
}

export type JobRequest = ScheduledJob | ReplayJob | SignalJob | ShardJob | CrisisCheckJob | HealthJob | OpsSummaryJob | WhatIfJob | ReleaseJob;

/** What the curator queues for itself on its work queue: continuations, resumes, shards, crisis alert checks, replays, releases. */
export type QueuedRequest = ScheduledJob | ReplayJob | ShardJob | CrisisCheckJob | ReleaseJob;
