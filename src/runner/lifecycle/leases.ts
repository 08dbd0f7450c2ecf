import type { JobType } from '../../pipelines/index.js';
import type { QueuedRequest } from '../../requests/job-request.js';
import { storeFunctions } from '../../store/functions.js';
import type { LeaseRef } from '../../store/curator-store.js';
import type { RunRow } from '../../store/rows.js';
import type { CuratorDeps } from '../deps.js';

/** How long a run (or shard) handed on waits for its continuation before the health job resumes it. */
export const continuationGraceSeconds = 600;

/** How a lease ends. */
export type Finish = { readonly status: 'succeeded' } | { readonly status: 'failed'; readonly error: string };

/** A run, or one shard of a run, that this invocation holds. */
export interface Lease {
  readonly ref: LeaseRef;
  /** Where the walk resumes; null from the start. */
  readonly cursor: string | null;
  /** A shard's last subject (inclusive); null for a whole run. */
  readonly through: string | null;
  /** Emails already claimed under it (a continuation keeps counting against the per-run ceiling). */
  readonly emailsBefore: number;
  /** A shard's part of the emails-per-run ceiling. */
  readonly emailCeilingShare?: number;
  /** The run of this job type it found with a lease run out and marked stuck. */
  readonly stuckMarked: number;
  /** Taken over from an earlier invocation of the same work (a continuation, a resume). */
  readonly resumed: boolean;
  /** This invocation's attempt on the run (pipeline_run_attempts), ended by the lifecycle with its summary. */
  readonly attemptId: string | null;
  /** Hands the work on to its continuation at `cursor`; false when the lease was no longer this invocation's. */
  release(cursor: string | null): Promise<boolean>;
  /**
   * Ends the work, releasing the lease; a failure settles what was in flight (curator_settle_executions). Answers
   * whether the lease was still held and, when the run itself ended with it, the run's row.
   */
  finish(outcome: Finish): Promise<{ readonly held: boolean; readonly run: RunRow | null }>;
}

/** Why the work was not taken: another invocation holds it (until `leaseUntil`), it is done, or superseded. */
export interface Refusal {
  readonly refused: string;
  readonly runId: string | null;
  readonly leaseUntil: Date | null;
  /** The refused attempt, recorded as skipped (a re-queue adds its reason). */
  readonly attemptId: string | null;
}

export const isRefusal = (taken: Lease | Refusal): taken is Refusal => 'refused' in taken;

const noCounts = { candidates: 0, executed: 0, skipped: 0, vetoed: 0, failed: 0, escalated: 0 };

/** Takes the run of (job, period), or says why not (curator_acquire_run). */
export async function takeRun(
  deps: CuratorDeps,
  input: {
    jobType: JobType;
    periodKey: string;
    trigger: 'schedule' | 'replay' | 'release';
    eventId: string | null;
    scheduledFor: Date | null;
    resumeWith: QueuedRequest;
  },
): Promise<Lease | Refusal> {
  const { owner, leaseSeconds } = deps.config;
  const result = await deps.store.acquireRun({ ...input, owner, leaseSeconds, now: deps.clock.now() });
  if (!result.acquired) {
    const until = result.run.lease_expires_at;
    return { refused: result.reason ?? 'taken', runId: result.run.id, leaseUntil: until ? new Date(until) : null, attemptId: result.attempt_id };
  }
  const run = result.run;
  const saved = run.cursor as { after?: unknown } | null;
  const ref: LeaseRef = { runId: run.id, shard: null, owner, leaseSeconds };
  return {
    ref,
    cursor: typeof saved?.after === 'string' ? saved.after : null,
    through: null,
    // A resumed walk keeps counting what it already claimed: the firing's, or the replay's that holds the run.
    emailsBefore: result.resumed ? (run.replay_attempt_id ? (run.replay_counts?.executed ?? 0) : run.executed) : 0,
    stuckMarked: result.stuck,
    resumed: result.resumed === true,
    attemptId: result.attempt_id,
    release: (cursor) => deps.store.releaseLease({ lease: ref, graceSeconds: continuationGraceSeconds, now: deps.clock.now(), cursor }),
    async finish(outcome) {
      const row = await deps.store.call(storeFunctions.finishRun, {
        runId: run.id,
        owner,
        status: outcome.status,
        now: deps.clock.now(),
        counts: noCounts,
        error: outcome.status === 'failed' ? outcome.error : null,
      });
      return { held: row !== null, run: row };
    },
  };
}

/** Takes one shard of a split run, or says why not (curator_acquire_shard). */
export async function takeShard(deps: CuratorDeps, input: { runId: string; shard: number; generation: number }): Promise<Lease | Refusal> {
  const { owner, leaseSeconds } = deps.config;
  const { runId, shard } = input;
  const taken = await deps.store.call(storeFunctions.acquireShard, { ...input, owner, leaseSeconds, now: deps.clock.now() });
  if (!taken.acquired || taken.shard === undefined) {
    const until = taken.shard?.lease_expires_at;
    return { refused: taken.reason ?? 'taken', runId, leaseUntil: until ? new Date(until) : null, attemptId: null };
  }
  const held = taken.shard;
  const ref: LeaseRef = { runId, shard, owner, leaseSeconds };
  return {
    ref,
    cursor: held.cursor,
    through: held.through_key,
    emailsBefore: held.executed,
    emailCeilingShare: held.share,
    stuckMarked: 0,
    resumed: held.attempt > 1,
    attemptId: taken.attempt_id ?? null,
    release: (cursor) => deps.store.releaseLease({ lease: ref, graceSeconds: continuationGraceSeconds, now: deps.clock.now(), cursor }),
    async finish(outcome) {
      const finished = await deps.store.call(storeFunctions.finishShard, {
        runId,
        shard,
        owner,
        status: outcome.status,
        now: deps.clock.now(),
        error: outcome.status === 'failed' ? outcome.error : null,
      });
      return { held: finished.held, run: finished.run };
    },
  };
}
