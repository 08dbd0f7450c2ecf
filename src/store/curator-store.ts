import { z } from 'zod';
import type { EmailPolicyJson } from '../curator/policy.js';
import type { VetoReason } from '../curator/verdict.js';
import type { JobType } from '../pipelines/index.js';
import { StoreError } from './errors.js';
import type { StoreArgs, StoreFunction } from './functions.js';
import {
  acquireResult,
  acquireShardResult,
  fanOutResult,
  finishShardResult,
  shardBounds,
  expiringCredit,
  healthResult,
  lastRun,
  orgAdminCandidate,
  recoverResult,
  recordedDecisions,
  referralCandidate,
  replayTarget,
  runRow,
  signalCandidate,
  userCandidate,
  type AcquireResult,
  type AcquireShardResult,
  type FanOutResult,
  type FinishShardResult,
  type ShardBounds,
  type DecisionsResult,
  type ExpiringCredit,
  type HealthResult,
  type LastRun,
  type OrgAdminCandidate,
  type RecoverResult,
  type ReferralCandidate,
  type ReplayTarget,
  type RunRow,
  type SignalCandidate,
  type UserCandidate,
} from './rows.js';
import type { StoreTransport } from './transport.js';

/** Counts a page adds to its run. */
export interface RunCounts {
  readonly candidates: number;
  readonly executed: number;
  readonly skipped: number;
  readonly vetoed: number;
  readonly failed: number;
  readonly escalated: number;
}

/** A credit or reversal to write to the ledger before Stripe is called. */
export interface CreditClaim {
  readonly amount: number;
  readonly source: 'referral' | 'milestone' | 'manual' | 'expiry';
  readonly reference_key: string;
  readonly stripe_customer_id: string | null;
  readonly expires_at: string | null;
  readonly description: string;
}

/**
 * One decision to record, with the status the core decided: `pending` claims the action (the re-check under lock
 * may still veto it), the others are final.
 */
export interface DecisionRow {
  readonly subject_key: string;
  readonly period_key: string;
  readonly user_id: string | null;
  readonly status: 'pending' | 'vetoed' | 'escalated' | 'failed';
  readonly veto_reason: VetoReason | null;
  readonly confidence_score: number | null;
  readonly signal_count: number | null;
  readonly trigger_data: Readonly<Record<string, unknown>>;
  readonly error: string | null;
  readonly template_id: string | null;
  readonly credit: CreditClaim | null;
}

/** What came of one claimed action. */
export interface OutcomeRow {
  /** Null for a movement no pipeline decided (a manual credit). */
  readonly execution_id: string | null;
  readonly status: 'succeeded' | 'failed' | 'unknown' | 'escalated' | 'vetoed';
  /** Only with status `vetoed`: a claim stopped before its request left (the kill switch went off). */
  readonly veto_reason?: VetoReason | null;
  readonly error: string | null;
  readonly email_log_id?: string | null;
  /** `unsent`: the email was never attempted, so its queued row goes. */
  readonly email_status?: 'sent' | 'failed' | 'queued' | 'unsent' | null;
  readonly provider_message_id?: string | null;
  readonly ledger_id?: string | null;
  readonly ledger_status?: 'pending' | 'applied' | 'failed' | null;
  readonly stripe_balance_transaction_id?: string | null;
  readonly referral_id?: string | null;
  readonly expired_ledger_id?: string | null;
}

/** Where a page of candidates starts and what it covers. */
export interface PageQuery {
  readonly jobType: JobType;
  readonly periodKey: string;
  readonly after: string | null;
  readonly limit: number;
  /** Only these subjects (a replay's users or held actions); null for the whole population. */
  readonly subjects: readonly string[] | null;
  readonly at: Date;
}

/** An email page also needs its signal window and the email rules the facts are counted for. */
export interface EmailPageQuery extends PageQuery {
  readonly emailType: string;
  readonly windowStart: Date;
  readonly windowEnd: Date;
  readonly policy: EmailPolicyJson;
  /** The last subject of a shard's range (inclusive); null or absent for the whole population. */
  readonly through?: string | null;
}

/** Who holds a run, or one shard of it: what a fenced write checks before it acts. */
export interface LeaseRef {
  readonly runId: string;
  readonly shard: number | null;
  readonly owner: string;
  readonly leaseSeconds: number;
}

/** A page's progress, saved with its outcomes: its counts, the lease renewed, and the cursor the walk reached. */
export interface PageProgress {
  readonly lease: LeaseRef;
  readonly cursor: string | null;
  readonly counts: RunCounts;
}

const leaseJson = (lease: LeaseRef) => ({ run_id: lease.runId, shard: lease.shard, owner: lease.owner, lease_seconds: lease.leaseSeconds });

/** A lease's answers: still this owner's after a touch, or handed on to a continuation. */
const stillHeld = z.object({ held: z.boolean() });
const handedOn = z.object({ released: z.boolean() });

const archiveRow = z.object({ executions_archived: z.number().int(), emails_archived: z.number().int() });

/**
 * The curator's database, whatever carries it: each method is one SQL function, one round trip.
 *
 * @example
 * const store = new CuratorStore(sqlTransport(sql));
 * const { acquired, run } = await store.acquireRun({ jobType: 'daily_digest', periodKey: '2026-11-22', ... });
 */
export class CuratorStore {
  constructor(private readonly transport: StoreTransport) {}

  private async call<F extends StoreFunction, T>(fn: F, args: StoreArgs<F>, schema: z.ZodType<T>): Promise<T> {
    const result = await this.transport.call(fn, args);
    const parsed = schema.safeParse(result);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new StoreError(`${fn} answered an unexpected shape at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
    }
    return parsed.data;
  }

  acquireRun(input: {
    jobType: JobType;
    periodKey: string;
    trigger: 'schedule' | 'replay';
    owner: string;
    leaseSeconds: number;
    now: Date;
    eventId: string | null;
    scheduledFor: Date | null;
    /** The event that resumes the run (its continuation). */
    resumeEvent: Readonly<Record<string, unknown>> | null;
  }): Promise<AcquireResult> {
    return this.call(
      'curator_acquire_run',
      {
        p_job_type: input.jobType,
        p_period_key: input.periodKey,
        p_trigger: input.trigger,
        p_owner: input.owner,
        p_lease_seconds: input.leaseSeconds,
        p_now: input.now,
        p_event_id: input.eventId,
        p_scheduled_for: input.scheduledFor,
        p_resume_event: input.resumeEvent,
      },
      acquireResult,
    );
  }

  async touchRun(input: {
    runId: string;
    owner: string;
    leaseSeconds: number;
    now: Date;
    cursor: unknown;
    counts: RunCounts;
  }): Promise<boolean> {
    const { held } = await this.call(
      'curator_touch_run',
      {
        p_run_id: input.runId,
        p_owner: input.owner,
        p_lease_seconds: input.leaseSeconds,
        p_now: input.now,
        p_cursor: input.cursor,
        p_counts: input.counts,
      },
      stillHeld,
    );
    return held;
  }

  finishRun(input: {
    runId: string;
    owner: string;
    status: 'succeeded' | 'failed';
    now: Date;
    counts: RunCounts;
    error: string | null;
  }): Promise<RunRow | null> {
    return this.call(
      'curator_finish_run',
      {
        p_run_id: input.runId,
        p_owner: input.owner,
        p_status: input.status,
        p_now: input.now,
        p_counts: input.counts,
        p_error: input.error,
      },
      runRow.nullable(),
    );
  }

  /** Hands the run on to its continuation at `cursor`; false when the lease was no longer this owner's. */
  async releaseRun(input: { runId: string; owner: string; graceSeconds: number; now: Date; cursor: string | null }): Promise<boolean> {
    const { released } = await this.call(
      'curator_release_run',
      {
        p_run_id: input.runId,
        p_owner: input.owner,
        p_grace_seconds: input.graceSeconds,
        p_now: input.now,
        p_cursor: input.cursor === null ? null : { after: input.cursor },
      },
      handedOn,
    );
    return released;
  }

  /** The active users' count and the keys that cut them into shards of `shardSize`. */
  userShardBounds(shardSize: number): Promise<ShardBounds> {
    return this.call('curator_user_shard_bounds', { p_shard_size: shardSize }, shardBounds);
  }

  /** Splits the run this owner holds into shards at `bounds` and hands it to them. */
  fanOut(input: { runId: string; owner: string; leaseSeconds: number; now: Date; population: number; shardSize: number; bounds: readonly string[] }): Promise<FanOutResult> {
    return this.call(
      'curator_fan_out',
      {
        p_run_id: input.runId,
        p_owner: input.owner,
        p_lease_seconds: input.leaseSeconds,
        p_now: input.now,
        p_population: input.population,
        p_shard_size: input.shardSize,
        p_bounds: input.bounds,
      },
      fanOutResult,
    );
  }

  acquireShard(input: { runId: string; shard: number; generation: number; owner: string; leaseSeconds: number; now: Date }): Promise<AcquireShardResult> {
    return this.call(
      'curator_acquire_shard',
      {
        p_run_id: input.runId,
        p_shard: input.shard,
        p_generation: input.generation,
        p_owner: input.owner,
        p_lease_seconds: input.leaseSeconds,
        p_now: input.now,
      },
      acquireShardResult,
    );
  }

  /** Saves a shard's page to the shard and its run; false when the shard is no longer this owner's. */
  async touchShard(input: { runId: string; shard: number; owner: string; leaseSeconds: number; now: Date; cursor: string | null; counts: RunCounts }): Promise<boolean> {
    const { held } = await this.call(
      'curator_touch_shard',
      {
        p_run_id: input.runId,
        p_shard: input.shard,
        p_owner: input.owner,
        p_lease_seconds: input.leaseSeconds,
        p_now: input.now,
        p_cursor: input.cursor,
        p_counts: input.counts,
      },
      stillHeld,
    );
    return held;
  }

  async releaseShard(input: { runId: string; shard: number; owner: string; graceSeconds: number; now: Date; cursor: string | null }): Promise<boolean> {
    const { released } = await this.call(
      'curator_release_shard',
      {
        p_run_id: input.runId,
        p_shard: input.shard,
        p_owner: input.owner,
        p_grace_seconds: input.graceSeconds,
        p_now: input.now,
        p_cursor: input.cursor,
      },
      handedOn,
    );
    return released;
  }

  /** Ends a shard; answers the run when this shard was the last to finish it. */
  finishShard(input: { runId: string; shard: number; owner: string; status: 'succeeded' | 'failed'; now: Date; error: string | null }): Promise<FinishShardResult> {
    return this.call(
      'curator_finish_shard',
      {
        p_run_id: input.runId,
        p_shard: input.shard,
        p_owner: input.owner,
        p_status: input.status,
        p_now: input.now,
        p_error: input.error,
      },
      finishShardResult,
    );
  }

  private pageArgs(query: PageQuery) {
    return {
      p_job_type: query.jobType,
      p_period_key: query.periodKey,
      p_after: query.after,
      p_limit: query.limit,
      p_subjects: query.subjects,
      p_at: query.at,
    };
  }

  private emailPageArgs(query: EmailPageQuery) {
    return {
      ...this.pageArgs(query),
      p_email_type: query.emailType,
      p_window_start: query.windowStart,
      p_window_end: query.windowEnd,
      p_policy: query.policy,
    };
  }

  userCandidates(query: EmailPageQuery): Promise<UserCandidate[]> {
    return this.call('curator_user_candidates', { ...this.emailPageArgs(query), p_through: query.through ?? null }, z.array(userCandidate));
  }

  orgAdminCandidates(query: EmailPageQuery): Promise<OrgAdminCandidate[]> {
    return this.call('curator_org_admin_candidates', this.emailPageArgs(query), z.array(orgAdminCandidate));
  }

  referralCandidates(query: PageQuery): Promise<ReferralCandidate[]> {
    return this.call(
      'curator_referral_candidates',
      this.pageArgs(query),
      z.array(referralCandidate),
    );
  }

  expiringCredits(query: PageQuery): Promise<ExpiringCredit[]> {
    return this.call(
      'curator_expiring_credit_candidates',
      this.pageArgs(query),
      z.array(expiringCredit),
    );
  }

  signalCandidate(input: {
    jobType: JobType;
    emailType: string;
    signalId: string;
    userId: string;
    childId: string | null;
    policy: EmailPolicyJson;
    at: Date;
  }): Promise<SignalCandidate> {
    return this.call(
      'curator_signal_candidate',
      {
        p_job_type: input.jobType,
        p_email_type: input.emailType,
        p_signal_id: input.signalId,
        p_user_id: input.userId,
        p_child_id: input.childId,
        p_policy: input.policy,
        p_at: input.at,
      },
      signalCandidate,
    );
  }

  replayTargets(input: {
    jobType: JobType;
    vetoReason: VetoReason | null;
    from: Date;
    to: Date;
    userIds: readonly string[] | null;
    /** The (created_at, id) of the last target of the page before. */
    after: { readonly createdAt: string; readonly id: string } | null;
    limit: number;
    /** The replay's own run: what it left failed or unknown is taken up again too. */
    runId: string | null;
  }): Promise<ReplayTarget[]> {
    return this.call(
      'curator_replay_targets',
      {
        p_job_type: input.jobType,
        p_veto_reason: input.vetoReason,
        p_from: input.from,
        p_to: input.to,
        p_user_ids: input.userIds,
        p_after_created_at: input.after?.createdAt ?? null,
        p_after_id: input.after?.id ?? null,
        p_limit: input.limit,
        p_run_id: input.runId,
      },
      z.array(replayTarget),
    );
  }

  async creditsIssuedOn(at: Date): Promise<number> {
    const { cents } = await this.call('curator_credits_issued_on', { p_at: at }, z.object({ cents: z.number() }));
    return cents;
  }

  recordDecisions(input: {
    runId: string | null;
    jobType: JobType;
    pipelineName: string;
    emailType: string | null;
    policy: EmailPolicyJson | null;
    creditCeilingCents: number | null;
    retakeVetoReason: VetoReason | null;
    retakeUnknown: boolean;
    now: Date;
    rows: readonly DecisionRow[];
    /** The page's request batch, stamped on every claim (see markRequests). */
    batch: string | null;
  }): Promise<DecisionsResult> {
    return this.call(
      'curator_record_decisions',
      {
        p_run_id: input.runId,
        p_job_type: input.jobType,
        p_pipeline_name: input.pipelineName,
        p_email_type: input.emailType,
        p_policy: input.policy,
        p_credit_ceiling_cents: input.creditCeilingCents,
        p_retake_veto_reason: input.retakeVetoReason,
        p_retake_unknown: input.retakeUnknown,
        p_now: input.now,
        p_rows: input.rows,
        p_batch: input.batch,
      },
      recordedDecisions,
    ).then(({ claimed, emails, ledger, vetoed, unchanged }) => {
      const emailOf = new Map(emails.map((email) => [email.execution_id, email.id]));
      const ledgerOf = new Map(ledger.map(({ execution_id, ...row }) => [execution_id, row]));
      return {
        claimed: claimed.map((claim) => ({
          ...claim,
          email_log_id: emailOf.get(claim.execution_id) ?? null,
          ledger: ledgerOf.get(claim.execution_id) ?? null,
        })),
        vetoed,
        unchanged,
      };
    });
  }

  /**
   * Records that a page's provider requests are about to leave, so that if this invocation dies its claims are
   * known to be in doubt (unknown) rather than never attempted (redone). Fenced by `lease`: false when it is no
   * longer the caller's, who must not send.
   */
  async markRequests(input: { batch: string; lease: LeaseRef | null; now: Date }): Promise<boolean> {
    const { held } = await this.call(
      'curator_mark_requests',
      { p_batch: input.batch, p_lease: input.lease === null ? null : leaseJson(input.lease), p_now: input.now },
      stillHeld,
    );
    return held;
  }

  /** Records a page's outcomes and, with `progress`, its counts and cursor; false when the lease was lost. */
  async recordOutcomes(now: Date, rows: readonly OutcomeRow[], progress: PageProgress | null = null): Promise<boolean> {
    if (rows.length === 0 && progress === null) return true;
    const { held } = await this.call(
      'curator_record_outcomes',
      {
        p_now: now,
        p_rows: rows,
        p_progress: progress === null ? null : { ...leaseJson(progress.lease), cursor: progress.cursor, counts: progress.counts },
      },
      z.object({ held: z.boolean() }).loose(),
    );
    return held;
  }

  /** The health job's recovery: stuck runs marked and settled, orphaned signals settled, what to resume. */
  recover(input: { now: Date; leaseSeconds: number; maxAttempts: number }): Promise<RecoverResult> {
    return this.call('curator_recover', { p_now: input.now, p_lease_seconds: input.leaseSeconds, p_max_attempts: input.maxAttempts }, recoverResult);
  }

  health(input: { now: Date; since: Date; expected: ReadonlyArray<{ job_type: string; period_key: string }> }): Promise<HealthResult> {
    return this.call('curator_health', { p_now: input.now, p_since: input.since, p_expected: input.expected }, healthResult);
  }

  lastRun(jobType: JobType): Promise<LastRun> {
    return this.call('curator_last_run', { p_job_type: jobType }, lastRun);
  }

  /** Records an ops action (human_overrides). */
  async recordOverride(input: {
    pipelineType: string;
    overrideType: 'kill_switch_disable' | 'kill_switch_enable' | 'stop_all' | 'replay' | 'manual_credit' | 'threshold_change';
    actor: string;
    reason: string;
    ticket: string | null;
    details: Readonly<Record<string, unknown>>;
    now: Date;
  }): Promise<string> {
    const row = await this.call(
      'curator_record_override',
      {
        p_pipeline_type: input.pipelineType,
        p_override_type: input.overrideType,
        p_actor: input.actor,
        p_reason: input.reason,
        p_ticket: input.ticket,
        p_details: input.details,
        p_now: input.now,
      },
      z.object({ id: z.string() }),
    );
    return row.id;
  }

  /** Writes a manual credit's ledger row and its override, once per ticket. */
  manualCredit(input: {
    userId: string;
    amountCents: number;
    ticket: string;
    actor: string;
    reason: string;
    expiresAt: Date;
    now: Date;
  }): Promise<
    | { refused: 'NO_PAYMENT_ACCOUNT' }
    | { ledger: { id: string; amount: number; status: string; stripe_balance_transaction_id: string | null }; customer: string; already: boolean }
  > {
    return this.call(
      'curator_manual_credit',
      {
        p_user_id: input.userId,
        p_amount: input.amountCents,
        p_ticket: input.ticket,
        p_actor: input.actor,
        p_reason: input.reason,
        p_expires_at: input.expiresAt,
        p_now: input.now,
      },
      z.union([
        z.object({ refused: z.literal('NO_PAYMENT_ACCOUNT') }),
        z.object({
          ledger: z.object({ id: z.string(), amount: z.number().int(), status: z.string(), stripe_balance_transaction_id: z.string().nullable() }),
          customer: z.string(),
          already: z.boolean(),
        }),
      ]),
    );
  }

  /** Applies one SendGrid webhook delivery; answers what changed (new events only). */
  applyEmailEvents(events: ReadonlyArray<Record<string, unknown>>, now: Date) {
    return this.call(
      'curator_apply_email_events',
      { p_events: events, p_now: now },
      z.object({
        received: z.number().int(),
        applied: z.number().int(),
        moved: z.number().int(),
        suppressed: z.number().int(),
        unsubscribes: z.number().int(),
        bounces: z.number().int(),
        spamreports: z.number().int(),
      }),
    );
  }

  scoreStories(windowStart: Date): Promise<number> {
    return this.call('calculate_story_effectiveness', { p_window_start: windowStart }, z.number().int());
  }

  async archiveExpired(before: Date, batchSize: number): Promise<{ executions: number; emails: number }> {
    const [row] = await this.call(
      'archive_expired_records',
      { p_before: before, p_batch_size: batchSize },
      z.array(archiveRow).length(1),
    );
    return { executions: row!.executions_archived, emails: row!.emails_archived };
  }
}
