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
  readonly confidence: number;
  readonly signalCount: number;
  /** As the app sent it (ISO-8601 with offset); recorded verbatim. */
  readonly eventTimestamp: string;
  readonly context: Readonly<Record<string, unknown>>;
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

/** The health check: database, switches, runs, missed runs. Sends nothing. */
export interface HealthJob {
  readonly kind: 'health';
}

export type JobRequest = ScheduledJob | ReplayJob | SignalJob | ShardJob | HealthJob;
