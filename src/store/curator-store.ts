import type { VetoReason } from '../curator/verdict.js';
import type { DecisionFacts } from '../curator/decision-facts.js';
import { eventOf } from '../events/curator-events.js';
import type { QueuedRequest } from '../requests/job-request.js';
import { StoreError } from './errors.js';
import { storeFunctions, type AnyStoreFunction, type AnswerOf, type ArgsOf } from './functions.js';
import type { DecisionsResult } from './rows.js';
import type { StoreTransport } from './transport.js';

/** Told the duration of each store call, in milliseconds, by SQL function name. */
export type StoreObserver = (functionName: string, milliseconds: number) => void;

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
  /** QUIET_HOURS only: when the family's window ends (ISO-8601). */
  readonly held_until?: string | null;
  readonly confidence_score: number | null;
  readonly signal_count: number | null;
  /** What the decision read (src/curator/decision-facts.ts), kept so it can be made again. */
  readonly facts: DecisionFacts;
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

/**
 * The curator's database, whatever carries it: every method is one SQL function, one round trip, declared once in
 * functions.ts. `call` takes any of them with arguments typed from its declaration; the methods below add what a
 * caller should not repeat (joining an answer, reading one field of it).
 *
 * @example
 * const store = new CuratorStore(sqlTransport(sql));
 * const last = await store.call(storeFunctions.lastRun, { jobType: 'daily_digest' });
 */
export class CuratorStore {
  /** `observe` is told how long each call took, answered or not (StoreCallDuration, by function). */
  constructor(
    private readonly transport: StoreTransport,
    private readonly observe: StoreObserver | null = null,
  ) {}

  /** Calls a declared SQL function and checks its answer's shape. */
  async call<F extends AnyStoreFunction>(fn: F, args: ArgsOf<F>): Promise<AnswerOf<F>> {
    const started = performance.now();
    let result: unknown;
    try {
      result = await this.transport.call(fn, args as Readonly<Record<string, unknown>>);
    } finally {
      this.observe?.(fn.name, performance.now() - started);
    }
    const parsed = fn.answer.safeParse(result);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new StoreError(`${fn.name} answered an unexpected shape at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`, { cause: parsed.error });
    }
    return parsed.data as AnswerOf<F>;
  }

  /** Takes the run of (job, period), keeping the event that resumes it (written as the work queue carries it). */
  acquireRun(args: Omit<ArgsOf<typeof storeFunctions.acquireRun>, 'resumeEvent'> & { resumeWith: QueuedRequest }): Promise<AnswerOf<typeof storeFunctions.acquireRun>> {
    const { resumeWith, ...rest } = args;
    return this.call(storeFunctions.acquireRun, { ...rest, resumeEvent: eventOf(resumeWith) });
  }

  /** Hands a run or a shard on to its continuation at `cursor`; false when the lease was no longer this owner's. */
  async releaseLease(args: { lease: LeaseRef; graceSeconds: number; now: Date; cursor: string | null }): Promise<boolean> {
    return this.call(storeFunctions.releaseLease, { ...args, lease: leaseJson(args.lease) });
  }

  /** Cents of credit issued in the UTC day of `at`: the spend guard's count so far. */
  async creditsIssuedOn(at: Date): Promise<number> {
    return (await this.call(storeFunctions.creditsIssuedOn, { at })).cents;
  }

  /**
   * Records a page of decisions, claims its actions and records the page's request batch, in one statement fenced by
   * `lease` (renewed): nothing is written and `held` is false when it is no longer the caller's, who must not act.
   * Each claim comes with its email row and ledger row.
   */
  async recordDecisions(
    args: Omit<ArgsOf<typeof storeFunctions.recordDecisions>, 'lease'> & { rows: readonly DecisionRow[]; lease: LeaseRef | null },
  ): Promise<DecisionsResult> {
    const lease = args.lease === null ? null : leaseJson(args.lease);
    const { held, claimed, emails, ledger, vetoed, unchanged } = await this.call(storeFunctions.recordDecisions, { ...args, lease });
    const emailOf = new Map(emails.map((email) => [email.execution_id, email.id]));
    const ledgerOf = new Map(ledger.map(({ execution_id, ...row }) => [execution_id, row]));
    return {
      held,
      claimed: claimed.map((claim) => ({ ...claim, email_log_id: emailOf.get(claim.execution_id) ?? null, ledger: ledgerOf.get(claim.execution_id) ?? null })),
      vetoed,
      unchanged,
    };
  }

  /** Records a page's outcomes and, with `progress`, its counts and cursor; false when the lease was lost. */
  async recordOutcomes(now: Date, rows: readonly OutcomeRow[], progress: PageProgress | null = null): Promise<boolean> {
    if (rows.length === 0 && progress === null) return true;
    const saved = progress === null ? null : { ...leaseJson(progress.lease), cursor: progress.cursor, counts: progress.counts };
    return (await this.call(storeFunctions.recordOutcomes, { now, rows, progress: saved })).held;
  }

  /** Records an ops action (human_overrides) and answers its id. */
  async recordOverride(args: ArgsOf<typeof storeFunctions.recordOverride>): Promise<string> {
    return (await this.call(storeFunctions.recordOverride, args)).id;
  }

  /** Moves up to `batchSize` expired executions and email rows to the archive tables; how many of each moved. */
  async archiveExpired(before: Date, batchSize: number): Promise<{ executions: number; emails: number }> {
    const [row] = await this.call(storeFunctions.archiveExpired, { before, batchSize });
    return { executions: row!.executions_archived, emails: row!.emails_archived };
  }
}
