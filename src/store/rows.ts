import { z } from 'zod';
import { vetoReasonsInOrder, type VetoReason } from '../curator/verdict.js';

/** Shapes of what the store's SQL functions answer, checked at the edge so drift fails loudly. */

export const executionStatus = z.enum(['pending', 'succeeded', 'failed', 'vetoed', 'skipped', 'escalated', 'unknown', 'superseded']);
export type ExecutionStatus = z.infer<typeof executionStatus>;
const vetoReason = z.enum(vetoReasonsInOrder as [VetoReason, ...VetoReason[]]);

export const existingExecution = z
  .object({ id: z.string(), status: executionStatus, veto_reason: vetoReason.nullable() })
  .nullable();
export type ExistingExecution = z.infer<typeof existingExecution>;

const emailFacts = z.object({
  opted_out: z.boolean(),
  suppressed: z.boolean(),
  type_count: z.number().int(),
  non_critical_counts: z.array(z.number().int()),
  // Where the family is (family_time_zones); absent from the signal pipelines' facts, which never hold.
  time_zone: z.string().nullable().optional(),
  quiet_start: z.string().nullable().optional(),
  quiet_end: z.string().nullable().optional(),
});
export type EmailFactsRow = z.infer<typeof emailFacts>;

const ledgerRow = z.object({
  id: z.string(),
  status: z.enum(['pending', 'applied', 'expired', 'failed']),
  amount: z.number().int(),
  stripe_balance_transaction_id: z.string().nullable(),
  /** Claims only: the row existed before this claim (an earlier attempt). */
  existed: z.boolean().optional(),
});
const ledgerRef = ledgerRow.nullable();
export type LedgerRef = z.infer<typeof ledgerRef>;

export const userCandidate = z.object({
  subject_key: z.string(),
  user_id: z.string(),
  email: z.string(),
  first_name: z.string().nullable(),
  signal_count: z.number().int(),
  confidence: z.number().nullable(),
  top_story_title: z.string().nullable(),
  facts: emailFacts,
  existing: existingExecution,
});
export type UserCandidate = z.infer<typeof userCandidate>;

export const orgAdminCandidate = z.object({
  subject_key: z.string(),
  user_id: z.string(),
  email: z.string(),
  first_name: z.string().nullable(),
  organization_id: z.string(),
  organization_name: z.string(),
  members: z.number().int(),
  active_members: z.number().int(),
  reading_events: z.number().int(),
  facts: emailFacts,
  existing: existingExecution,
});
export type OrgAdminCandidate = z.infer<typeof orgAdminCandidate>;

export const referralCandidate = z.object({
  subject_key: z.string(),
  user_id: z.string(),
  stripe_customer_id: z.string().nullable(),
  ledger: ledgerRef,
  existing: existingExecution,
});
export type ReferralCandidate = z.infer<typeof referralCandidate>;

export const expiringCredit = z.object({
  subject_key: z.string(),
  user_id: z.string(),
  amount: z.number().int(),
  stripe_customer_id: z.string().nullable(),
  ledger: ledgerRef,
  existing: existingExecution,
});
export type ExpiringCredit = z.infer<typeof expiringCredit>;

export const signalCandidate = z.object({
  user: z
    .object({ id: z.string(), email: z.string(), first_name: z.string().nullable(), is_active: z.boolean() })
    .nullable(),
  facts: emailFacts.nullable(),
  child_type_count: z.number().int().nullable(),
  existing: existingExecution,
});
export type SignalCandidate = z.infer<typeof signalCandidate>;

export const replayTarget = z.object({
  id: z.string(),
  created_at: z.string(),
  period_key: z.string(),
  subject_key: z.string(),
  user_id: z.string().nullable(),
  status: executionStatus,
  veto_reason: vetoReason.nullable(),
  trigger_data: z.record(z.string(), z.unknown()),
  confidence_score: z.number().nullable(),
  signal_count: z.number().int().nullable(),
});
export type ReplayTarget = z.infer<typeof replayTarget>;

/** A held email the quiet-hours release decides again, with when it came due. */
export const releaseTarget = replayTarget.extend({ held_until: z.string() });
export type ReleaseTarget = z.infer<typeof releaseTarget>;

/** A run's counts as replay_counts keeps them. */
export const runCounts = z.object({
  candidates: z.number().int(),
  executed: z.number().int(),
  skipped: z.number().int(),
  vetoed: z.number().int(),
  failed: z.number().int(),
  escalated: z.number().int(),
});

export const runRow = z.object({
  id: z.string(),
  job_type: z.string(),
  period_key: z.string(),
  trigger: z.enum(['schedule', 'replay', 'release']),
  status: z.enum(['running', 'succeeded', 'failed', 'stuck']),
  cursor: z.unknown().nullable(),
  attempt: z.number().int(),
  candidates: z.number().int(),
  executed: z.number().int(),
  skipped: z.number().int(),
  vetoed: z.number().int(),
  held: z.number().int(),
  failed: z.number().int(),
  escalated: z.number().int(),
  started_at: z.string(),
  completed_at: z.string().nullable(),
  error: z.string().nullable(),
  /** How many shards the run was split into; null when one invocation walked it. */
  shards: z.number().int().nullable().optional(),
  lease_owner: z.string().nullable().optional(),
  lease_expires_at: z.string().nullable().optional(),
  /** The replay that took the run over after its firing; the counts above stay the firing's. */
  replay_attempt_id: z.string().nullable().optional(),
  /** That replay's own counts. */
  replay_counts: runCounts.nullable().optional(),
});
export type RunRow = z.infer<typeof runRow>;

/** What the health job recovered: runs marked stuck, settled orphans, and the runs and shards to resume. */
export const recoverResult = z.object({
  newly_stuck: z.record(z.string(), z.number().int()),
  orphans_settled: z.number().int(),
  resume_runs: z.array(
    z.object({ run_id: z.string(), job_type: z.string(), period_key: z.string(), attempt: z.number().int(), resume_event: z.record(z.string(), z.unknown()) }),
  ),
  resume_shards: z.array(
    z.object({
      run_id: z.string(),
      job_type: z.string(),
      shard: z.number().int(),
      generation: z.number().int(),
      period_key: z.string(),
      scheduled_for: z.string().nullable(),
    }),
  ),
});
export type RecoverResult = z.infer<typeof recoverResult>;

export const acquireResult = z.object({
  acquired: z.boolean(),
  resumed: z.boolean().optional(),
  reason: z.enum(['in_progress', 'completed']).optional(),
  run: runRow,
  /** Runs of the job whose lease had run out, marked stuck on the way. */
  stuck: z.number().int().default(0),
  /** This call's attempt on the run (pipeline_run_attempts), to be ended with its outcome. */
  attempt_id: z.string(),
});

/** Active users and the keys that cut them into shards: shard i covers (bounds[i-1], bounds[i]]. */
export const shardBounds = z.object({ population: z.number().int().nonnegative(), bounds: z.array(z.string()) });
export type ShardBounds = z.infer<typeof shardBounds>;

export const fanOutResult = z.object({ held: z.boolean(), generation: z.number().int().optional(), shards: z.number().int().optional() });

export const shardRow = z.object({
  run_id: z.string(),
  shard: z.number().int(),
  generation: z.number().int(),
  after_key: z.string().nullable(),
  through_key: z.string().nullable(),
  share: z.number(),
  status: z.enum(['pending', 'running', 'succeeded', 'failed']),
  cursor: z.string().nullable(),
  attempt: z.number().int(),
  executed: z.number().int(),
  lease_expires_at: z.string().nullable().optional(),
});

export const acquireShardResult = z.object({
  acquired: z.boolean(),
  reason: z.string().optional(),
  shard: shardRow.optional(),
  attempt_id: z.string().optional(),
});

export const finishShardResult = z.object({ held: z.boolean(), run: runRow.nullable() });

/** What curator_record_decisions answers: the claims, and their email and ledger rows keyed by execution. */
export const recordedDecisions = z.object({
  /** False when the lease was no longer the caller's: nothing was written. */
  held: z.boolean(),
  claimed: z.array(z.object({ subject_key: z.string(), period_key: z.string(), execution_id: z.string() })),
  emails: z.array(z.object({ execution_id: z.string(), id: z.string() })),
  ledger: z.array(ledgerRow.extend({ execution_id: z.string() })),
  vetoed: z.array(
    z.object({
      subject_key: z.string(),
      period_key: z.string(),
      execution_id: z.string(),
      reason: vetoReason.nullable(),
      status: z.enum(['vetoed', 'escalated', 'failed', 'skipped']),
    }),
  ),
  unchanged: z.array(z.string()),
});

/** The same with each claim's email row and ledger row put back on it. */
export interface DecisionsResult {
  readonly held: boolean;
  readonly claimed: ReadonlyArray<z.infer<typeof recordedDecisions>['claimed'][number] & { email_log_id: string | null; ledger: LedgerRef }>;
  readonly vetoed: z.infer<typeof recordedDecisions>['vetoed'];
  readonly unchanged: readonly string[];
}

export const healthResult = z.object({
  running: z.number().int(),
  stuck: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  success_rate: z.number().nullable(),
  missing: z.array(z.object({ job_type: z.string(), period_key: z.string() })),
  /** The status of the morning ops summary asked about (sending, sent, failed, unknown), null when never claimed. */
  ops_summary: z.string().nullable().optional(),
});
export type HealthResult = z.infer<typeof healthResult>;

/** The real run a dry run is shown beside: its period's, or (same_period false) the job's latest earlier period's. */
export const lastRun = runRow.extend({ veto_reasons: z.record(z.string(), z.number()), same_period: z.boolean() }).nullable();
export type LastRun = z.infer<typeof lastRun>;

/** One attempt on a run, as `ops run` shows it in the run's timeline. */
export const attemptRow = z.object({
  id: z.string(),
  run_id: z.string(),
  shard: z.number().int().nullable(),
  kind: z.enum(['firing', 'redelivery', 'continuation', 'replay', 'shard']),
  event_id: z.string().nullable(),
  request_id: z.string().nullable(),
  outcome: z.enum(['running', 'succeeded', 'failed', 'continued', 'fanned_out', 'skipped']),
  reason: z.string().nullable(),
  summary: z.record(z.string(), z.unknown()),
  error: z.string().nullable(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
});

/** A run as `ops runs` lists it. */
export const runListing = runRow.omit({ cursor: true }).extend({
  trigger: z.string(),
  skipped: z.number().int(),
  population: z.number().int().nullable(),
  continuations: z.number().int(),
  shards_done: z.number().int(),
  /** How often the period was replayed after its firing. */
  replays: z.number().int(),
});

export const dryRunReport = z.object({
  id: z.string(),
  job_type: z.string(),
  period_key: z.string(),
  event_id: z.string().nullable(),
  report: z.record(z.string(), z.unknown()),
  requested_at: z.string(),
});

/** One run in full, for `ops run`. */
export const runDetail = z
  .object({
    run: runRow.extend({ population: z.number().int().nullable().optional() }),
    attempts: z.array(attemptRow),
    shards: z.array(z.object({ shard: z.number().int(), status: z.string(), attempt: z.number().int(), candidates: z.number().int(), executed: z.number().int(), vetoed: z.number().int(), failed: z.number().int(), error: z.string().nullable() })),
    outcomes: z.array(z.object({ status: executionStatus, veto_reason: vetoReason.nullable(), n: z.number().int() })),
    /** Replays of held actions that re-decided some of the period's executions, with what they decided of it. */
    held_replays: z.array(
      z.object({
        run_id: z.string(),
        period_key: z.string(),
        status: z.string(),
        started_at: z.string(),
        completed_at: z.string().nullable(),
        event_id: z.string().nullable(),
        outcomes: z.record(z.string(), z.number().int()),
      }),
    ),
    pending: z.number().int(),
    dry_runs: z.array(dryRunReport),
  })
  .nullable();
export type RunDetail = z.infer<typeof runDetail>;

/** What became of a published event, for `ops replay --wait`. */
export const eventProgress = z.object({
  attempts: z.array(attemptRow),
  run: runRow.nullable(),
  dry_run: dryRunReport.nullable(),
});
export type EventProgress = z.infer<typeof eventProgress>;

/** One family's story, for `ops family`. */
/** A legal hold as ops sees it (legal_holds, with the ticket of the override that placed it). */
export const legalHold = z.object({
  user_id: z.string(),
  reason: z.string(),
  placed_by: z.string(),
  placed_at: z.string(),
  released_at: z.string().nullable(),
  ticket: z.string().nullable(),
  known_user: z.boolean(),
});

/** What `ops hold` or `ops release` did (curator_legal_hold). */
export const legalHoldChange = z.object({
  outcome: z.enum(['held', 'released', 'already_held', 'not_held']),
  hold: z.object({ user_id: z.string(), reason: z.string(), placed_by: z.string(), placed_at: z.string(), released_at: z.string().nullable() }).nullable(),
  override_id: z.string().optional(),
  known_user: z.boolean(),
});

export const familyStory = z.object({
  user: z.object({ id: z.string(), email: z.string(), first_name: z.string().nullable(), is_active: z.boolean(), has_stripe_customer: z.boolean(), stripe_customer_id: z.string().nullable() }).nullable(),
  decisions: z.array(
    z.object({
      id: z.string(),
      pipeline_type: z.string(),
      period_key: z.string(),
      status: executionStatus,
      veto_reason: vetoReason.nullable(),
      confidence_score: z.number().nullable(),
      signal_count: z.number().int().nullable(),
      error: z.string().nullable(),
      created_at: z.string(),
      completed_at: z.string().nullable(),
    }),
  ),
  emails: z.array(
    z.object({
      execution_id: z.string().nullable(),
      email_type: z.string(),
      status: z.string(),
      queued_at: z.string(),
      sent_at: z.string().nullable(),
      last_event_at: z.string().nullable(),
      error: z.string().nullable(),
    }),
  ),
  ledger: z.array(
    z.object({
      id: z.string(),
      amount: z.number().int(),
      source: z.string(),
      status: z.string(),
      reference_key: z.string(),
      stripe_balance_transaction_id: z.string().nullable(),
      error_message: z.string().nullable(),
      expires_at: z.string().nullable(),
      created_at: z.string(),
      applied_cents: z.number().int(),
      applied_at: z.string().nullable(),
      expired_at: z.string().nullable(),
      invoices: z.array(z.object({ invoice_id: z.string(), cents: z.number().int(), applied_at: z.string() })),
    }),
  ),
  stripe_events: z.array(z.object({ id: z.string(), type: z.string(), invoice_id: z.string().nullable(), outcome: z.string(), received_at: z.string() })),
  time_zone: z.object({ time_zone: z.string(), quiet_start: z.string().nullable(), quiet_end: z.string().nullable(), updated_at: z.string() }).nullable(),
  referrals: z.array(z.object({ id: z.string(), status: z.string(), reward_status: z.string(), converted_at: z.string().nullable(), created_at: z.string() })),
  suppressions: z.array(z.object({ reason: z.string(), created_at: z.string() })),
  legal_hold: z.object({ reason: z.string(), placed_by: z.string(), placed_at: z.string(), released_at: z.string().nullable() }).nullable(),
  preferences: z.array(z.object({ email_type: z.string(), enabled: z.boolean() })),
  cap_emails: z.array(z.object({ email_type: z.string(), queued_at: z.string() })),
});

/** The execution a false-positive review is about, as the review answers it. */
const reviewedExecution = z.looseObject({
  id: z.string(),
  pipeline_type: z.string(),
  period_key: z.string(),
  user_id: z.string().nullable(),
  status: z.string(),
  created_at: z.string(),
});

/** What `curator_mark_false_positive` did with one review. */
export const falsePositiveReview = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.enum(['marked', 'undone']), override_id: z.string(), execution: reviewedExecution }),
  z.object({ outcome: z.enum(['already_marked', 'not_marked', 'not_an_alert', 'not_sent']), execution: reviewedExecution }),
  z.object({ outcome: z.literal('not_found') }),
  z.object({ outcome: z.literal('ambiguous'), matches: z.number().int() }),
]);

/** One alert pipeline's false-positive rate over a window; `rate_percent` is null without alerts. */
export const falsePositiveRate = z.object({
  pipeline_type: z.string(),
  alerts: z.number().int(),
  false_positives: z.number().int(),
  rate_percent: z.number().nullable(),
});
export type FalsePositiveRate = z.infer<typeof falsePositiveRate>;

const count = z.number().int();
const usd = z.number();
const rate = z.number().nullable();

/** What the morning ops summary says, as `curator_ops_summary` answers it (each part from its own table or view). */
export const opsSummaryFigures = z.object({
  from: z.string(),
  until: z.string(),
  runs: z.array(
    z.object({
      job_type: z.string(),
      period_key: z.string(),
      trigger: z.string(),
      status: z.string(),
      candidates: count,
      executed: count,
      skipped: count,
      vetoed: count,
      failed: count,
      escalated: count,
      duration_ms: z.number().nullable(),
      error: z.string().nullable(),
      /** How often the period was replayed after this run's firing. */
      replays: count,
    }),
  ),
  /** Replays of a period made that day, with what each decided. */
  replays: z.array(
    z.object({
      job_type: z.string(),
      period_key: z.string(),
      started_at: z.string(),
      event_id: z.string().nullable(),
      status: z.string(),
      candidates: count,
      executed: count,
      vetoed: count,
      failed: count,
    }),
  ),
  missed: z.array(z.object({ job_type: z.string(), period_key: z.string() })),
  executions: z.array(z.object({ pipeline_type: z.string(), status: z.string(), count })),
  email: z.array(
    z.object({
      email_type: z.string(),
      sent: count,
      delivered: count,
      opened: count,
      clicked: count,
      bounced: count,
      unsubscribed: count,
      spam_reported: count,
      open_rate: rate,
      click_rate: rate,
      unsubscribe_rate: rate,
      bounce_rate: rate,
    }),
  ),
  credits_issued: z.array(z.object({ source: z.string(), credits: count, total_usd: usd })),
  credits_expired: z.object({ count, total_usd: usd }),
  credits_failed: z.object({ count, total_usd: usd }),
  crisis_escalations: count,
  vetoes: z.array(z.object({ pipeline_type: z.string(), veto_reason: z.string(), count })),
  breaker_trips: z.array(z.object({ pipeline_type: z.string(), occurred_at: z.string(), reason: z.string() })),
  overrides: z.array(
    z.object({ pipeline_type: z.string(), override_type: z.string(), actor: z.string(), reason: z.string(), ticket: z.string().nullable(), occurred_at: z.string() }),
  ),
  last_flips: z.array(z.object({ pipeline_type: z.string(), override_type: z.string(), actor: z.string(), occurred_at: z.string() })),
  false_positives: z.array(falsePositiveRate),
  /** The Morning Checklist's overnight jobs, each one's last firing, with its run (null fields: it never started). */
  overnight: z.array(
    z.object({
      job_type: z.string(),
      period_key: z.string(),
      status: z.string().nullable(),
      started_at: z.string().nullable(),
      completed_at: z.string().nullable(),
      candidates: count.nullable(),
      executed: count.nullable(),
      vetoed: count.nullable(),
      failed: count.nullable(),
      replays: count,
      error: z.string().nullable(),
    }),
  ),
  /** The Weekly Checklist, on Mondays. */
  weekly: z
    .object({
      from: z.string(),
      veto_patterns: z.array(z.object({ pipeline_type: z.string(), veto_reason: z.string(), count })),
      sla: z.array(z.object({ pipeline_type: z.string(), total: count, sla_violations: count, sla_violation_rate: rate })),
      volume: z.array(z.object({ date: z.string(), emails_sent: count, unique_users: count })),
    })
    .nullable(),
  monthly: z
    .object({
      from: z.string(),
      email: z.array(
        z.object({
          email_type: z.string(),
          sent: count,
          delivered: count,
          opened: count,
          unsubscribed: count,
          bounced: count,
          open_rate: rate,
          unsubscribe_rate: rate,
          bounce_rate: rate,
        }),
      ),
      referrals: z.object({ referrals: count, signed_up: count, converted: count, rewarded: count, conversion_rate: rate }),
      credits: z.array(z.object({ source: z.string(), credits: count, total_usd: usd })),
      executions: z.array(z.object({ pipeline_type: z.string(), status: z.string(), count })),
      override_patterns: z.array(z.object({ pipeline_type: z.string(), override_type: z.string(), count })),
      /** Day by day over the 30 days: what the monthly report's charts draw. */
      trends: z.object({
        email: z.array(z.object({ day: z.string(), email_type: z.string(), sent: count, delivered: count, open_rate: rate, unsubscribe_rate: rate })),
        credits: z.array(z.object({ day: z.string(), kind: z.string(), usd })),
        vetoes: z.array(z.object({ day: z.string(), pipeline_type: z.string(), decisions: count, veto_rate: rate })),
      }),
      /** Active families credited a milestone in the 30 days, over active families (the monitoring guide's rate). */
      milestone_bonus: z.object({ families: count, active_families: count, rate }),
    })
    .nullable(),
});
export type OpsSummaryFigures = z.infer<typeof opsSummaryFigures>;

/**
 * One recorded decision as curator_what_if_page answers it: an array, in this order, so a week of decisions at
 * 100,000 families travels compactly. `facts` is checked by src/curator/decision-facts.ts where it is read.
 */
export const whatIfRow = z.tuple([
  z.string(), // id
  z.string(), // pipeline_type
  z.string(), // subject_key
  z.string(), // period_key
  z.string(), // user_id
  z.string(), // started_at
  executionStatus,
  vetoReason.nullable(),
  z.number().nullable(), // confidence_score
  z.number().int().nullable(), // signal_count
  z.string().nullable(), // policy_hash
  z.unknown(), // decision_facts, null when not kept
  z.string().nullable(), // trigger_data.child_id
]);
export type WhatIfRow = z.infer<typeof whatIfRow>;
export const whatIfPage = z.object({
  rows: z.array(whatIfRow),
  policies: z.record(z.string(), z.unknown()),
});
export const whatIfBounds = z.object({ bounds: z.array(z.string()), without_family: z.number().int() });
