import { MetricName } from '../../curator/ports.js';
import type { JobType } from '../../pipelines/index.js';
import type { RunRow } from '../../store/rows.js';
import type { CuratorDeps } from '../deps.js';
import type { HeldOutcome, RunDetails } from '../job-result.js';
import type { QueuedRequest } from '../../requests/job-request.js';
import type { WalkResult } from '../pages/drive.js';
import { storeFunctions } from '../../store/functions.js';
import { withFields } from '../log-fields.js';
import { emptyTally, type Tally } from '../tally.js';
import { isRefusal, type Lease, type Refusal } from './leases.js';
import { errorFields, redacted } from '../../errors/error-fields.js';

/** What a job's own work on its lease came to. */
export type Worked =
  | { readonly kind: 'walked'; readonly walk: WalkResult; readonly details?: RunDetails }
  | { readonly kind: 'fanned_out'; readonly shards: number }
  | { readonly kind: 'lease_lost' };

/**
 * Work that is held under a lease: a scheduled run, a replay of a period or of held actions, a shard. The job
 * takes the lease (takeRun, takeShard), says what its work is, and goes through the lifecycle in three steps that
 * are the same for all of them: {@link hold}, then its own walk, then {@link endHeld}, or {@link failHeld} when
 * the walk throws.
 */
export interface HeldWork {
  readonly jobType: JobType;
  /** Fields of its log lines (period, shard). */
  readonly labels: Readonly<Record<string, unknown>>;
  /** The request that resumes it: its continuation, and what a redelivery that finds it leased re-queues. */
  readonly resumeWith: QueuedRequest;
}

/** What came of held work in this invocation; `runEnded` when it completed its run (a shard may not). */
export interface HeldRun {
  readonly runId: string | null;
  readonly outcome: HeldOutcome;
  readonly runEnded: boolean;
}

/** Held work this invocation took: its lease, and `deps` whose logger names the run (the walk uses these). */
export interface Holding {
  readonly taken: true;
  readonly work: HeldWork;
  readonly lease: Lease;
  readonly deps: CuratorDeps;
  readonly startedMs: number;
}

/** Held work this invocation did not take, and why (its answer). */
export interface NotHeld {
  readonly taken: false;
  readonly run: HeldRun;
}

/** SQS delays a message by at most 15 minutes. */
const maxDelaySeconds = 900;
/** A redelivery re-queued for after a live lease arrives this long after the lease ran out. */
const afterLeaseSeconds = 5;
/** How often, and how patiently, a failure is recorded when the database itself is what failed. */
const failureRecordAttempts = 5;
const failureRecordBaseMs = 250;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
const fieldsOf = (work: HeldWork, runId: string | null) => ({ ...work.labels, pipeline_type: work.jobType, run_id: runId });

/**
 * The lifecycle's first step, after the job tried to take its lease: a refusal is answered (a redelivery that
 * found the work leased is re-queued for just after the lease, so a crashed run is resumed by Lambda's own
 * retries); a lease taken is held, with runs found stuck on the way counted.
 */
export async function hold(deps: CuratorDeps, work: HeldWork, taken: Lease | Refusal): Promise<Holding | NotHeld> {
  if (isRefusal(taken)) {
    const outcome = await refused(deps, work, taken);
    if (taken.attemptId !== null && outcome.status === 'skipped' && outcome.reason === 'requeued') {
      await endAttempt(deps, taken.attemptId, { outcome: 'skipped', reason: 'requeued', summary: null, error: null });
    }
    return { taken: false, run: { runId: taken.runId, outcome, runEnded: false } };
  }
  const lease = taken;
  if (lease.stuckMarked > 0) {
    deps.metrics.record({ name: MetricName.StuckRuns, value: lease.stuckMarked, unit: 'Count', pipelineType: work.jobType });
    deps.logger.error('runs found stuck (their lease ran out) and marked', { ...fieldsOf(work, lease.ref.runId), stuck: lease.stuckMarked });
  }
  // Every line the work logs names its run and period, so one filter isolates one run.
  const scoped: CuratorDeps = { ...deps, logger: withFields(deps.logger, { run_id: lease.ref.runId, ...work.labels }) };
  return { taken: true, work, lease, deps: scoped, startedMs: Date.now() };
}

/**
 * The lifecycle's last step: hands the work on near the deadline (its continuation resumes from the cursor), or
 * finishes it, and ends this invocation's attempt with its counts.
 */
export async function endHeld(holding: Holding, worked: Worked): Promise<HeldRun> {
  const { deps, work, lease, startedMs } = holding;
  const done = await handOnOrFinish(holding, worked);
  const summary = { ...done.outcome.tally, durationMs: Date.now() - startedMs };
  const reason = done.outcome.status === 'skipped' || done.outcome.status === 'continued' ? done.outcome.reason : null;
  if (lease.attemptId !== null) await endAttempt(deps, lease.attemptId, { outcome: done.outcome.status, reason, summary, error: null });
  deps.logger.info('attempt', { ...fieldsOf(work, lease.ref.runId), outcome: done.outcome.status, reason, ...summaryFields(summary) });
  return done;
}

/**
 * When the walk (or its end) throws: the failure is recorded on the row with its error, the lease released and
 * what was in flight settled (what may have left is unknown, the rest decidable again). Answers the error for the
 * job to throw, so Lambda (or the work queue) delivers it again and the redelivery resumes it from its cursor.
 */
export async function failHeld(holding: Holding, error: unknown): Promise<unknown> {
  const { work, lease } = holding;
  holding.deps.logger.error('run failed', { ...fieldsOf(work, lease.ref.runId), ...errorFields(error) });
  await recordFailure(holding, redacted(messageOf(error)));
  return error;
}

/** The job's hand-on or its finish, after its work. */
async function handOnOrFinish(holding: Holding, worked: Worked): Promise<HeldRun> {
  const { deps, work, lease, startedMs } = holding;
  switch (worked.kind) {
    case 'lease_lost':
      return { runId: lease.ref.runId, outcome: { status: 'skipped', reason: 'lease_lost', tally: emptyTally() }, runEnded: false };
    case 'fanned_out':
      return { runId: lease.ref.runId, outcome: { status: 'fanned_out', shards: worked.shards, tally: emptyTally() }, runEnded: false };
    case 'walked':
      break;
    default: {
      const unknown: never = worked;
      throw new Error(`unknown work outcome ${JSON.stringify(unknown)}`);
    }
  }
  const { walk } = worked;
  if (walk.leaseLost) return { runId: lease.ref.runId, outcome: { status: 'skipped', reason: 'lease_lost', tally: walk.tally }, runEnded: false };
  if (walk.continued && deps.continuations) {
    await lease.release(walk.cursor);
    await deps.continuations.continueWith([work.resumeWith]);
    deps.logger.info('run continues in a new invocation', { pipeline_type: work.jobType });
    return { runId: lease.ref.runId, outcome: { status: 'continued', reason: 'deadline', tally: walk.tally }, runEnded: false };
  }
  const finished = await lease.finish({ status: 'succeeded' });
  if (!finished.held) return { runId: lease.ref.runId, outcome: { status: 'skipped', reason: 'lease_lost', tally: walk.tally }, runEnded: false };
  if (finished.run !== null) publishRunEnd(deps, work.jobType, finished.run, startedMs);
  const details = worked.details && Object.keys(worked.details).length > 0 ? { details: worked.details } : {};
  return { runId: lease.ref.runId, outcome: { status: 'succeeded', tally: walk.tally, ...details }, runEnded: finished.run !== null };
}

/** The attempt's counts as log fields: decisions by outcome, vetoes by reason, emails, credits, duration. */
function summaryFields(summary: Tally & { durationMs: number }): Record<string, unknown> {
  return {
    candidates: summary.candidates,
    executed: summary.executed,
    skipped: summary.skipped,
    unchanged: summary.unchanged,
    vetoed: summary.vetoed,
    failed: summary.failed,
    unknown: summary.unknown,
    escalated: summary.escalated,
    emails_sent: summary.emailsSent,
    credits_issued_cents: summary.creditsIssuedCents,
    duration_ms: summary.durationMs,
  };
}

/** Ends an attempt on its run; a failure to say so is logged, never thrown over the work's own result. */
async function endAttempt(
  deps: CuratorDeps,
  attemptId: string,
  end: { outcome: string; reason: string | null; summary: Record<string, unknown> | null; error: string | null },
): Promise<void> {
  try {
    await deps.store.call(storeFunctions.endAttempt, { attemptId, ...end, now: deps.clock.now() });
  } catch (error) {
    deps.logger.warn('could not record how the attempt ended', { attempt_id: attemptId, ...errorFields(error) });
  }
}

/**
 * Another invocation holds the work, or it is done. A direct delivery (Lambda's retry of a crashed invocation, a
 * duplicate from EventBridge) that finds a live lease re-queues itself through the work queue for just after the
 * lease: if the holder died, the re-queued event takes the work over then; if it lives, the event finds it done
 * or still leased and stops there (a work-queue delivery never re-queues, so each redelivery queues at most one).
 */
async function refused(deps: CuratorDeps, work: HeldWork, refusal: Refusal): Promise<HeldOutcome> {
  const fields = { ...fieldsOf(work, refusal.runId), reason: refusal.refused };
  const now = deps.clock.now().getTime();
  if (refusal.refused === 'in_progress' && refusal.leaseUntil !== null && deps.continuations && deps.config.delivery !== 'work_queue') {
    const delaySeconds = Math.min(maxDelaySeconds, Math.max(0, Math.ceil((refusal.leaseUntil.getTime() - now) / 1_000) + afterLeaseSeconds));
    await deps.continuations.continueWith([work.resumeWith], { delaySeconds });
    deps.logger.info('leased by another invocation; re-queued for after its lease', { ...fields, delay_seconds: delaySeconds });
    return { status: 'skipped', reason: 'requeued', tally: emptyTally() };
  }
  deps.logger.info('run already taken', fields);
  return { status: 'skipped', reason: refusal.refused, tally: emptyTally() };
}

/**
 * Records a failure on the row (the database may be what failed, so a few times with backoff). If it still cannot
 * be recorded, the lease runs out and the health job, or the next delivery, settles and resumes the work.
 */
async function recordFailure(holding: Holding, error: string): Promise<void> {
  const { work, lease, startedMs } = holding;
  // The run's own logger names it; the failure lines go there too.
  const { deps } = holding;
  for (let attempt = 1; attempt <= failureRecordAttempts; attempt += 1) {
    try {
      const finished = await lease.finish({ status: 'failed', error });
      if (finished.run !== null) publishRunEnd(deps, work.jobType, finished.run, startedMs);
      if (lease.attemptId !== null) await endAttempt(deps, lease.attemptId, { outcome: 'failed', reason: null, summary: { durationMs: Date.now() - startedMs }, error });
      return;
    } catch (cause) {
      if (attempt === failureRecordAttempts) {
        deps.logger.error('could not record the failure; the lease will run out and the work be resumed', { ...fieldsOf(work, lease.ref.runId), ...errorFields(cause) });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, failureRecordBaseMs * 2 ** (attempt - 1)));
    }
  }
}

/**
 * A run ended (by its last invocation, or its last shard): its veto rate over its whole life, its duration, and
 * FailedRuns when it failed. A replay that took the run over publishes no VetoRate or JobDuration (those are the
 * firing's, already published; the replay's own figures are in its attempts), but its failure counts.
 */
function publishRunEnd(deps: CuratorDeps, pipelineType: JobType, run: RunRow, startedMs: number): void {
  if (!run.replay_attempt_id) {
    // Emails held for quiet hours are neither vetoes nor decisions yet: their release decides them.
    const decisions = run.vetoed - run.held + run.executed + run.failed + run.escalated;
    if (decisions > 0) deps.metrics.record({ name: MetricName.VetoRate, value: (100 * (run.vetoed - run.held)) / decisions, unit: 'Percent', pipelineType });
    const lifeMs = run.completed_at === null ? 0 : Date.parse(run.completed_at) - Date.parse(run.started_at);
    deps.metrics.record({ name: MetricName.JobDuration, value: Math.max(lifeMs, Date.now() - startedMs), unit: 'Milliseconds', pipelineType });
  }
  if (run.status === 'failed') {
    deps.metrics.record({ name: MetricName.FailedRuns, value: 1, unit: 'Count', pipelineType });
    deps.logger.error('run ended failed', { pipeline_type: pipelineType, run_id: run.id, period_key: run.period_key, error: run.error });
  }
}
