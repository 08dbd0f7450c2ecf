import type { JobType } from '../pipelines/index.js';
import type { LastRun } from '../store/rows.js';
import type { WhatIfReport } from '../what-if/report.js';
import type { Tally } from './tally.js';

/** What a maintenance run did beside its decision: stories scored, or rows archived by data retention. */
export interface RunDetails {
  readonly storiesScored?: number;
  readonly executionsArchived?: number;
  readonly emailsArchived?: number;
}

/**
 * How held work (a run, a continuation, a shard) ended in this invocation. `continued`: it neared the deadline
 * and was handed on to a new invocation; `fanned_out`: it was split into shards, each queued for its own
 * invocation; `skipped`: it was not this invocation's to do (`in_progress` elsewhere, `completed`, `superseded`,
 * `requeued` for after a live lease, `lease_lost` midway).
 */
export type HeldOutcome =
  | { readonly status: 'succeeded'; readonly tally: Tally; readonly details?: RunDetails }
  | { readonly status: 'continued'; readonly reason: 'deadline'; readonly tally: Tally }
  | { readonly status: 'fanned_out'; readonly shards: number; readonly tally: Tally }
  | { readonly status: 'skipped'; readonly reason: string; readonly tally: Tally };

interface Answered {
  readonly ok: true;
  readonly durationMs: number;
}

/** A scheduled firing, or an ops replay (of a period, or of held actions), that took or found a run. */
export type RunResult = Answered & {
  readonly kind: 'scheduled' | 'replay';
  readonly jobType: JobType;
  readonly periodKey: string;
  readonly runId: string | null;
} & HeldOutcome;

/** One shard of a split run; `runCompleted` when it was the last to finish the run. */
export type ShardResult = Answered & {
  readonly kind: 'shard';
  readonly jobType: JobType;
  readonly periodKey: string;
  readonly runId: string;
  readonly shard: number;
  readonly runCompleted: boolean;
} & HeldOutcome;

/** A realtime signal from the app, decided and acted on. */
export interface SignalResult extends Answered {
  readonly kind: 'signal';
  readonly jobType: JobType;
  readonly periodKey: string;
  readonly status: 'succeeded';
  readonly tally: Tally;
}

/** The check of a crisis alert two minutes after its claim, and what it came to (crisis-check.ts). */
export interface CrisisCheckResult extends Answered {
  readonly kind: 'crisis_check';
  readonly jobType: 'crisis_alert';
  readonly status: 'succeeded';
  readonly executionId: string;
  readonly state: 'not_found' | 'confirmed' | 'settled' | 'early' | 'resend' | 'escalate';
  /** What deciding the signal again did, when it was sent once more (else nothing was decided). */
  readonly tally: Tally;
}

/** Any job asked with `dryRun`: what would happen, beside the last real run of the job. Nothing written or sent. */
export interface DryRunResult extends Answered {
  readonly kind: 'scheduled' | 'replay' | 'signal';
  readonly jobType: JobType;
  readonly periodKey: string;
  /** A dry run takes no run. */
  readonly runId: null;
  readonly status: 'dry_run';
  readonly tally: Tally;
  readonly lastRealRun: LastRun;
}

/** The health check's answer. */
export interface HealthResult extends Answered {
  readonly kind: 'health';
  readonly jobType: 'health';
  readonly status: 'succeeded' | 'failed';
  readonly health: Readonly<Record<string, unknown>>;
}

/** The morning ops summary's answer: sent, skipped (its switch, no recipients, already sent) or failed. */
export interface OpsSummaryResult extends Answered {
  readonly kind: 'ops_summary';
  readonly jobType: 'ops_summary';
  readonly status: 'succeeded' | 'skipped' | 'failed';
  readonly reason: string | null;
  readonly summaryDate: string;
  readonly monthly: boolean;
  readonly subject: string | null;
}

/** A what-if's answer: its report, kept in what_if_reports under `reportId`. */
export interface WhatIfResult extends Answered {
  readonly kind: 'what_if';
  readonly jobType: 'what_if';
  readonly status: 'succeeded';
  readonly reportId: string;
  readonly report: WhatIfReport;
}

/** What the quiet-hours release did for one pipeline: its run (none when nothing was due), what it superseded. */
export interface PipelineRelease {
  readonly jobType: JobType;
  readonly runId: string | null;
  /** Held emails of a period whose next firing had come: recorded `superseded`, never sent late. */
  readonly superseded: number;
  readonly outcome: HeldOutcome | { readonly status: 'nothing_due'; readonly tally: Tally };
}

/** The quiet-hours release: each pipeline in release order (org report, insights, digest). */
export interface ReleaseResult extends Answered {
  readonly kind: 'release';
  readonly jobType: 'release';
  readonly status: 'succeeded';
  readonly releaseId: string;
  readonly pipelines: readonly PipelineRelease[];
  /** The pipelines' tallies added up. */
  readonly tally: Tally;
}

/** The handler's answer for one event, one variant per kind of job. */
export type JobResult =
  | RunResult
  | ShardResult
  | SignalResult
  | CrisisCheckResult
  | DryRunResult
  | HealthResult
  | OpsSummaryResult
  | WhatIfResult
  | ReleaseResult;

/** What the curator answers one request: the job's summary, or why the request was refused (never retried). */
export type CuratorResult = JobResult | { readonly ok: false; readonly error: string };
