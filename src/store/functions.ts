import { z } from 'zod';
import {
  acquireResult,
  acquireShardResult,
  eventProgress,
  familyStory,
  legalHold,
  legalHoldChange,
  runDetail,
  runListing,
  expiringCredit,
  falsePositiveRate,
  falsePositiveReview,
  opsSummaryFigures,
  fanOutResult,
  finishShardResult,
  healthResult,
  lastRun,
  orgAdminCandidate,
  recordedDecisions,
  recoverResult,
  referralCandidate,
  replayTarget,
  releaseTarget,
  runRow,
  shardBounds,
  signalCandidate,
  userCandidate,
  whatIfBounds,
  whatIfPage,
} from './rows.js';

/** The SQL types of the store functions' parameters, as Postgres names them in a cast. */
export type SqlType = 'text' | 'integer' | 'bigint' | 'boolean' | 'uuid' | 'timestamptz' | 'jsonb' | 'text[]' | 'uuid[]';

/** What a parameter of each SQL type takes from TypeScript (every parameter may also be null). */
type ValueOf<T extends SqlType> = T extends 'text' | 'uuid'
  ? string
  : T extends 'integer' | 'bigint'
    ? number
    : T extends 'boolean'
      ? boolean
      : T extends 'timestamptz'
        ? Date
        : T extends 'text[]' | 'uuid[]'
          ? readonly string[]
          : unknown;

/** A timestamptz column of a function that answers rows: a Date from Postgres, a string from PostgREST; ISO either way. */
const instant = z.union([z.date(), z.string()]).transform((value) => new Date(value).toISOString());

/**
 * One SQL function the store calls, declared once: its name, its parameters in declaration order (named in camel
 * case here; in SQL `p_` and snake case, {@link sqlParameterName}), how it answers (one value, or rows) and the
 * shape of the answer. Both transports call through it, callers' arguments are typed from it, and a test holds it
 * to the function the migration creates (names, types and order), so a renamed parameter fails the type check or
 * that test, not production.
 */
export interface StoreFunction<P extends Readonly<Record<string, SqlType>> = Readonly<Record<string, SqlType>>, A = unknown> {
  readonly name: string;
  readonly params: P;
  readonly returns: 'value' | 'rows';
  readonly answer: z.ZodType<A>;
}

/** The arguments of a store function: every parameter, a value of its type or null. */
export type ArgsOf<F> = F extends StoreFunction<infer P, unknown> ? { readonly [K in keyof P]: ValueOf<P[K]> | null } : never;
/** What a store function answers, once its shape is checked. */
export type AnswerOf<F> = F extends StoreFunction<Readonly<Record<string, SqlType>>, infer A> ? A : never;

/** The SQL name of a parameter declared as `leaseSeconds`: `p_lease_seconds`. */
export const sqlParameterName = (name: string) => `p_${name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)}`;

function define<const P extends Readonly<Record<string, SqlType>>, A>(
  name: string,
  params: P,
  answer: z.ZodType<A>,
  returns: 'value' | 'rows' = 'value',
): StoreFunction<P, A> {
  return { name, params, answer, returns };
}

const held = z.object({ held: z.boolean() });
const pageParams = { jobType: 'text', periodKey: 'text', after: 'text', limit: 'integer', subjects: 'text[]', at: 'timestamptz' } as const;
const emailPageParams = {
  jobType: 'text',
  emailType: 'text',
  periodKey: 'text',
  windowStart: 'timestamptz',
  windowEnd: 'timestamptz',
  after: 'text',
  limit: 'integer',
  subjects: 'text[]',
  policy: 'jsonb',
  at: 'timestamptz',
} as const;
const lease = { runId: 'uuid', owner: 'text' } as const;

/**
 * Every SQL function the store calls. The live body of each is `supabase/schema/functions/<name>.sql`.
 *
 * @example
 * await store.call(storeFunctions.lastRun, { jobType: 'daily_digest' });
 */
export const storeFunctions = {
  acquireRun: define(
    'curator_acquire_run',
    {
      jobType: 'text',
      periodKey: 'text',
      trigger: 'text',
      owner: 'text',
      leaseSeconds: 'integer',
      now: 'timestamptz',
      eventId: 'text',
      scheduledFor: 'timestamptz',
      resumeEvent: 'jsonb',
    },
    acquireResult,
  ),
  finishRun: define('curator_finish_run', { ...lease, status: 'text', now: 'timestamptz', counts: 'jsonb', error: 'text' }, runRow.nullable()),
  releaseLease: define('curator_release_lease', { lease: 'jsonb', graceSeconds: 'integer', now: 'timestamptz', cursor: 'text' }, z.boolean()),
  digestShardBounds: define('curator_digest_shard_bounds', { shardSize: 'integer' }, shardBounds),
  fanOut: define(
    'curator_fan_out',
    { ...lease, leaseSeconds: 'integer', now: 'timestamptz', population: 'integer', shardSize: 'integer', bounds: 'jsonb' },
    fanOutResult,
  ),
  acquireShard: define(
    'curator_acquire_shard',
    { runId: 'uuid', shard: 'integer', generation: 'integer', owner: 'text', leaseSeconds: 'integer', now: 'timestamptz' },
    acquireShardResult,
  ),
  finishShard: define(
    'curator_finish_shard',
    { runId: 'uuid', shard: 'integer', owner: 'text', status: 'text', now: 'timestamptz', error: 'text' },
    finishShardResult,
  ),
  digestCandidates: define('curator_digest_candidates', { ...emailPageParams, through: 'text' }, z.array(userCandidate)),
  orgAdminCandidates: define('curator_org_admin_candidates', emailPageParams, z.array(orgAdminCandidate)),
  referralCandidates: define('curator_referral_candidates', pageParams, z.array(referralCandidate)),
  expiringCreditCandidates: define('curator_expiring_credit_candidates', pageParams, z.array(expiringCredit)),
  signalCandidate: define(
    'curator_signal_candidate',
    { jobType: 'text', emailType: 'text', signalId: 'text', userId: 'uuid', childId: 'text', policy: 'jsonb', at: 'timestamptz' },
    signalCandidate,
  ),
  replayTargets: define(
    'curator_replay_targets',
    {
      jobType: 'text',
      vetoReason: 'text',
      from: 'timestamptz',
      to: 'timestamptz',
      userIds: 'uuid[]',
      afterCreatedAt: 'timestamptz',
      afterId: 'uuid',
      limit: 'integer',
      runId: 'uuid',
    },
    z.array(replayTarget),
  ),
  releaseTargets: define(
    'curator_release_targets',
    { jobType: 'text', now: 'timestamptz', afterHeldUntil: 'timestamptz', afterId: 'uuid', limit: 'integer' },
    z.array(releaseTarget),
  ),
  supersedeHeld: define('curator_supersede_held', { ids: 'uuid[]', now: 'timestamptz' }, z.number().int()),
  periodEmails: define('curator_period_emails', { jobType: 'text', periodKey: 'text', since: 'timestamptz' }, z.number().int()),
  creditsIssuedOn: define('curator_credits_issued_on', { at: 'timestamptz' }, z.object({ cents: z.number() })),
  recordDecisions: define(
    'curator_record_decisions',
    {
      runId: 'uuid',
      jobType: 'text',
      pipelineName: 'text',
      emailType: 'text',
      policy: 'jsonb',
      creditCeilingCents: 'bigint',
      retakeVetoReason: 'text',
      retakeUnknown: 'boolean',
      now: 'timestamptz',
      rows: 'jsonb',
      batch: 'uuid',
      policyVersion: 'jsonb',
      lease: 'jsonb',
    },
    recordedDecisions,
  ),
  recordOutcomes: define('curator_record_outcomes', { now: 'timestamptz', rows: 'jsonb', progress: 'jsonb' }, z.looseObject({ held: z.boolean() })),
  recover: define('curator_recover', { now: 'timestamptz', leaseSeconds: 'integer', maxAttempts: 'integer' }, recoverResult),
  health: define('curator_health', { now: 'timestamptz', since: 'timestamptz', expected: 'jsonb', summaryDate: 'text' }, healthResult),
  lastRun: define('curator_last_run', { jobType: 'text', periodKey: 'text' }, lastRun),
  recordOverride: define(
    'curator_record_override',
    { pipelineType: 'text', overrideType: 'text', actor: 'text', reason: 'text', ticket: 'text', details: 'jsonb', now: 'timestamptz' },
    z.object({ id: z.string() }),
  ),
  manualCredit: define(
    'curator_manual_credit',
    { userId: 'uuid', amount: 'integer', ticket: 'text', actor: 'text', reason: 'text', expiresAt: 'timestamptz', now: 'timestamptz' },
    z.union([
      z.object({ refused: z.literal('NO_PAYMENT_ACCOUNT') }),
      z.object({
        ledger: z.object({ id: z.string(), amount: z.number().int(), status: z.string(), stripe_balance_transaction_id: z.string().nullable() }),
        customer: z.string(),
        already: z.boolean(),
      }),
    ]),
  ),
  applyStripeInvoice: define(
    'curator_apply_stripe_invoice',
    { eventId: 'text', type: 'text', invoiceId: 'text', customer: 'text', balanceAppliedCents: 'integer', at: 'timestamptz', now: 'timestamptz' },
    z.object({
      outcome: z.enum(['applied', 'returned', 'voided', 'already_applied', 'already_voided', 'voided_before', 'unknown_customer', 'ignored', 'duplicate']),
      credits: z.array(z.object({ ledger_id: z.string(), source: z.string(), cents: z.number().int(), applied: z.boolean() })),
    }),
  ),
  applyEmailEvents: define(
    'curator_apply_email_events',
    { events: 'jsonb', now: 'timestamptz' },
    z.object({
      received: z.number().int(),
      applied: z.number().int(),
      moved: z.number().int(),
      suppressed: z.number().int(),
      unsubscribes: z.number().int(),
      bounces: z.number().int(),
      spamreports: z.number().int(),
      by_type: z.array(
        z.object({
          email_type: z.string(),
          delivered: z.number().int(),
          opens: z.number().int(),
          clicks: z.number().int(),
          bounces: z.number().int(),
          unsubscribes: z.number().int(),
          spamreports: z.number().int(),
        }),
      ),
      /** Emails of unknown outcome this delivery's evidence settled sent. */
      settled_sent: z.number().int(),
      /** Request batches settled failed that this delivery brought evidence for (LateEvidence). */
      late_evidence: z.number().int(),
    }),
  ),
  recordWebhookRefusal: define('curator_record_webhook_refusal', { now: 'timestamptz', status: 'integer', error: 'text' }, z.boolean()),
  settleUnknownEmails: define(
    'curator_settle_unknown_emails',
    {
      pipelines: 'text[]',
      now: 'timestamptz',
      graceSeconds: 'integer',
      laterSeconds: 'integer',
      webhookCleanSince: 'timestamptz',
      supersededBefore: 'jsonb',
    },
    z.object({
      failed: z.number().int(),
      superseded: z.number().int(),
      settled: z.number().int(),
      failed_batches: z.array(z.object({ batch: z.string(), pipeline_type: z.string(), emails: z.number().int(), from: z.string(), to: z.string() })),
      awaiting: z.number().int(),
      in_doubt: z.number().int(),
      in_doubt_by_reason: z.record(z.string(), z.number().int()),
    }),
  ),
  unknownEmails: define(
    'curator_unknown_emails',
    { pipelines: 'text[]', now: 'timestamptz', graceSeconds: 'integer', laterSeconds: 'integer', webhookCleanSince: 'timestamptz' },
    z.array(
      z.object({
        batch: z.string(),
        recorded_at: instant,
        pipeline_type: z.string(),
        emails: z.number().int(),
        from_at: instant,
        to_at: instant,
        past_grace: z.boolean(),
        later_processed: z.boolean(),
        webhook_clean: z.boolean(),
        refusals: z.number().int(),
      }),
    ),
    'rows',
  ),
  settleBatch: define(
    'curator_settle_batch',
    { batch: 'uuid', outcome: 'text', actor: 'text', reason: 'text', ticket: 'text', now: 'timestamptz', supersededBefore: 'jsonb' },
    z.discriminatedUnion('outcome', [
      z.object({ outcome: z.literal('not_found'), batch: z.string() }),
      z.object({ outcome: z.literal('nothing_unknown'), batch: z.string() }),
      z.object({
        outcome: z.literal('settled'),
        batch: z.string(),
        pipeline_type: z.string(),
        emails: z.number().int(),
        superseded: z.boolean(),
        from: z.string(),
        to: z.string(),
        override_id: z.string(),
      }),
    ]),
  ),
  takeResends: define('curator_take_resends', { executions: 'uuid[]', now: 'timestamptz' }, z.array(z.string())),
  crisisCheck: define(
    'curator_crisis_check',
    { execution: 'uuid', now: 'timestamptz', afterSeconds: 'integer' },
    z.union([
      z.object({ state: z.literal('not_found'), execution_id: z.string() }),
      z.object({ state: z.enum(['confirmed', 'settled', 'early', 'resend', 'escalate']), check_at: z.string(), target: replayTarget }),
    ]),
  ),
  complaintRates: define(
    'curator_complaint_rates',
    { types: 'jsonb', now: 'timestamptz' },
    z.array(z.object({ email_type: z.string(), pipeline_type: z.string(), since: z.string(), complaints: z.number().int(), deliveries: z.number().int() })),
  ),
  recordBreakerTrip: define(
    'curator_record_breaker_trip',
    { pipelineType: 'text', reason: 'text', details: 'jsonb', now: 'timestamptz' },
    z.object({ recorded: z.boolean(), id: z.string().nullable() }),
  ),
  markFalsePositive: define(
    'curator_mark_false_positive',
    { id: 'text', undo: 'boolean', actor: 'text', reason: 'text', ticket: 'text', now: 'timestamptz' },
    falsePositiveReview,
  ),
  falsePositiveRates: define('curator_false_positive_rates', { since: 'timestamptz', until: 'timestamptz' }, z.array(falsePositiveRate)),
  opsSummary: define(
    'curator_ops_summary',
    { from: 'timestamptz', until: 'timestamptz', expected: 'jsonb', monthly: 'boolean', now: 'timestamptz', overnight: 'jsonb', weekly: 'boolean' },
    opsSummaryFigures,
  ),
  claimOpsSummary: define(
    'curator_claim_ops_summary',
    { summaryDate: 'text', monthly: 'boolean', leaseSeconds: 'integer', now: 'timestamptz' },
    z.object({ claimed: z.boolean(), status: z.string(), attempts: z.number().int() }),
  ),
  finishOpsSummary: define(
    'curator_finish_ops_summary',
    { summaryDate: 'text', status: 'text', recipients: 'integer', providerMessageId: 'text', error: 'text', figures: 'jsonb', now: 'timestamptz' },
    z.object({ summary_date: z.string(), status: z.string() }).nullable(),
  ),
  whatIfBounds: define('curator_what_if_bounds', { from: 'timestamptz', to: 'timestamptz', jobTypes: 'text[]', limit: 'integer' }, whatIfBounds),
  whatIfPage: define('curator_what_if_page', { from: 'timestamptz', to: 'timestamptz', jobTypes: 'text[]', after: 'uuid', through: 'uuid' }, whatIfPage),
  recordWhatIf: define(
    'curator_record_what_if',
    { now: 'timestamptz', scope: 'text', overrides: 'jsonb', days: 'integer', report: 'jsonb' },
    z.object({ id: z.string() }),
  ),
  thresholdChanges: define(
    'curator_threshold_changes',
    { keys: 'text[]' },
    z.array(
      z.object({
        parameter: z.string(),
        actor: z.string(),
        reason: z.string(),
        ticket: z.string().nullable(),
        occurred_at: z.string(),
        details: z.record(z.string(), z.unknown()),
      }),
    ),
  ),
  endAttempt: define(
    'curator_end_attempt',
    { attemptId: 'uuid', outcome: 'text', reason: 'text', summary: 'jsonb', error: 'text', now: 'timestamptz' },
    z.object({ ended: z.boolean() }),
  ),
  recordDryRun: define(
    'curator_record_dry_run',
    { jobType: 'text', periodKey: 'text', eventId: 'text', requestId: 'text', report: 'jsonb', now: 'timestamptz' },
    z.object({ id: z.string() }),
  ),
  runs: define('curator_runs', { jobType: 'text', since: 'timestamptz', limit: 'integer' }, z.array(runListing)),
  run: define('curator_run', { runId: 'uuid', jobType: 'text', periodKey: 'text' }, runDetail),
  runByEvent: define('curator_run_by_event', { eventId: 'text' }, eventProgress),
  family: define('curator_family', { userId: 'uuid', at: 'timestamptz', limit: 'integer' }, familyStory),
  legalHold: define(
    'curator_legal_hold',
    { userId: 'uuid', hold: 'boolean', actor: 'text', reason: 'text', ticket: 'text', now: 'timestamptz' },
    legalHoldChange,
  ),
  legalHolds: define('curator_legal_holds', { released: 'boolean' }, z.array(legalHold)),
  scoreStories: define('calculate_story_effectiveness', { windowStart: 'timestamptz' }, z.number().int()),
  archiveExpired: define(
    'archive_expired_records',
    { before: 'timestamptz', batchSize: 'integer' },
    z.array(z.object({ executions_archived: z.number().int(), emails_archived: z.number().int() })).length(1),
    'rows',
  ),
} as const;

/** Any declared store function. */
export type AnyStoreFunction = (typeof storeFunctions)[keyof typeof storeFunctions];
