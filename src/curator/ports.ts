import type { JobType } from '../pipelines/index.js';
import type { QueuedRequest } from '../requests/job-request.js';
import type { VetoReason } from './verdict.js';

/** The time, read at the edge and passed in, so a run, a test and the local simulation share one clock. */
export interface Clock {
  now(): Date;
}

/**
 * The kill switches and tunables under `/storytailor-{env}/pipelines/`, keyed relative to it
 * (`daily-digest/enabled`). `parameters` is null when they were never read; `stale` when the last read failed
 * and an older value is served.
 */
export interface SwitchSnapshot {
  readonly parameters: ReadonlyMap<string, string> | null;
  readonly stale: boolean;
}

/** Reads the switches; adapters cache, so the runner may call it before every send batch. */
export interface SwitchSource {
  read(): Promise<SwitchSnapshot>;
}

/** The metric names of DESIGN.md section 5. */
export const MetricName = {
  PipelineExecutions: 'PipelineExecutions',
  PipelineVetoes: 'PipelineVetoes',
  SLAViolations: 'SLAViolations',
  VetoRate: 'VetoRate',
  EmailDeliveryFailure: 'EmailDeliveryFailure',
  EmailsSent: 'EmailsSent',
  CreditsIssued: 'CreditsIssued',
  CreditsApplied: 'CreditsApplied',
  CreditsAppliedCents: 'CreditsAppliedCents',
  StripeEventsIgnored: 'StripeEventsIgnored',
  StripeWebhookRefused: 'StripeWebhookRefused',
  QuietHoursReleased: 'QuietHoursReleased',
  QuietHoursSuperseded: 'QuietHoursSuperseded',
  JobDuration: 'JobDuration',
  CrisisEscalations: 'CrisisEscalations',
  BudgetExceeded: 'BudgetExceeded',
  InvalidEvents: 'InvalidEvents',
  MissedRuns: 'MissedRuns',
  StuckRuns: 'StuckRuns',
  FailedRuns: 'FailedRuns',
  SwitchReadFailures: 'SwitchReadFailures',
  IgnoredParameters: 'IgnoredParameters',
  OpsSummaryMissing: 'OpsSummaryMissing',
  EmailsInDoubt: 'EmailsInDoubt',
  LateEvidence: 'LateEvidence',
  CreditFailures: 'CreditFailures',
  StoreCallDuration: 'StoreCallDuration',
  DatabaseUnreachable: 'DatabaseUnreachable',
  EmailsDelivered: 'EmailsDelivered',
  EmailOpens: 'EmailOpens',
  EmailClicks: 'EmailClicks',
  Unsubscribes: 'Unsubscribes',
  Bounces: 'Bounces',
  SpamReports: 'SpamReports',
  BreakerTrips: 'BreakerTrips',
  FalsePositiveRate: 'FalsePositiveRate',
} as const;
export type MetricName = (typeof MetricName)[keyof typeof MetricName];

/** One observation; the adapter knows under which dimension sets each metric is published. */
export interface MetricPoint {
  readonly name: MetricName;
  readonly value: number;
  readonly unit: 'Count' | 'Milliseconds' | 'Percent';
  readonly pipelineType?: JobType;
  readonly vetoReason?: VetoReason;
  /** The email type of `email_delivery_log` (a pipeline's `emailType`). */
  readonly emailType?: string;
  /** The store function a duration was measured on (`curator_record_decisions`). */
  readonly storeFunction?: string;
  /** A credit's source in `reward_ledger` (referral, milestone, manual). */
  readonly source?: string;
}

/** Collects metrics during an invocation and publishes them at its end. */
export interface Metrics {
  record(point: MetricPoint): void;
  flush(): Promise<void>;
}

/** One email to send. `to` is the only place an address travels; it is never logged. */
export interface OutgoingEmail {
  readonly executionId: string;
  readonly userId: string;
  readonly to: string;
  readonly emailType: string;
  readonly templateId: string;
  readonly templateData: Readonly<Record<string, unknown>>;
  /**
   * The request batch the email's claim was recorded under (pipeline_request_batches): SendGrid's events carry it
   * back as the custom arg `curator_batch_id`, the evidence that settles an email whose outcome was unknown.
   */
  readonly requestBatch?: string;
  /** The family's IANA zone, when the app gave one (family_time_zones): the local outbox records the local send time. */
  readonly timeZone?: string;
}

/**
 * What the provider said about one email: accepted (`sent`), refused (`failed`), or no answer after the request
 * left (`unknown`: it may have gone out).
 */
export type SendOutcome =
  | { readonly executionId: string; readonly status: 'sent'; readonly providerMessageId: string | null }
  | { readonly executionId: string; readonly status: 'failed' | 'unknown'; readonly error: string };

/**
 * An internal email whose content the curator renders itself (the morning ops summary): no template, no execution,
 * never in `email_delivery_log`. `category` tags it at the provider so it stays apart from the families' email.
 */
export interface ContentEmail {
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly category: string;
  /** Images shown in the HTML where it says `<img src="cid:{contentId}">` (the monthly report's charts). */
  readonly inlineImages?: readonly InlineImage[];
}

/** A PNG the HTML of a content email shows inline, by its content id. */
export interface InlineImage {
  readonly contentId: string;
  readonly filename: string;
  readonly png: Uint8Array;
}

/** What the provider said about a content email, as {@link SendOutcome} says it of a family's. */
export type ContentOutcome =
  | { readonly status: 'sent'; readonly providerMessageId: string | null }
  | { readonly status: 'failed' | 'unknown'; readonly error: string };

/** Sends emails in batches of at most `maxBatchSize`, and the curator's own content emails one at a time. */
export interface Mailer {
  readonly maxBatchSize: number;
  send(emails: readonly OutgoingEmail[]): Promise<SendOutcome[]>;
  sendContent(email: ContentEmail): Promise<ContentOutcome>;
}

/** A movement on a customer's credit balance; `ledgerId` is the idempotency key. Amounts are positive cents. */
export interface BalanceMovement {
  readonly ledgerId: string;
  readonly customerId: string;
  readonly amountCents: number;
  readonly description: string;
  /** The ledger row was attempted before: look for the movement at the provider before making it again. */
  readonly seenBefore?: boolean;
}

export type MovementOutcome =
  | { readonly ledgerId: string; readonly status: 'succeeded'; readonly transactionId: string }
  | { readonly ledgerId: string; readonly status: 'failed'; readonly error: string };

/** Credits and reversals on customers' balances (Stripe in production). */
export interface Payments {
  credit(movements: readonly BalanceMovement[]): Promise<MovementOutcome[]>;
  reverse(movements: readonly BalanceMovement[]): Promise<MovementOutcome[]>;
  /** Credit each customer still holds, in positive cents. */
  creditBalances(customerIds: readonly string[]): Promise<Map<string, number>>;
  /** When the customer's next invoice will be made (and the balance applied to it); null when none is coming. */
  upcomingInvoiceAt(customerId: string): Promise<Date | null>;
}

/** Structured logging; one JSON line per call. Fields never carry an address, a key or a token. */
export interface Logger {
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/**
 * Hands work on to other invocations of the curator (an SQS work queue in AWS): a run that nears the Lambda's
 * deadline continues itself with the request that started it, a run split into shards sends one request per shard,
 * and a redelivery that finds its run leased re-queues itself for after the lease (`delaySeconds`, at most 900).
 * The adapter writes each request as its event (events/curator-events.ts `eventOf`); `resend` queues events kept
 * as they were written (a stuck run's resume event). Resolves once every one is queued, or rejects naming the ones
 * that were not.
 */
export interface Continuations {
  continueWith(requests: readonly QueuedRequest[], options?: QueueOptions): Promise<void>;
  resend(events: ReadonlyArray<Readonly<Record<string, unknown>>>, options?: QueueOptions): Promise<void>;
}

export interface QueueOptions {
  readonly delaySeconds?: number;
}

/** A Lambda function's own health over a window, from CloudWatch's AWS/Lambda metrics (the Morning Checklist's step 3). */
export interface FunctionHealth {
  readonly functionName: string;
  readonly invocations: number;
  readonly errors: number;
  readonly throttles: number;
}

/** Reads a Lambda function's errors and throttles (cloudwatch:GetMetricData). */
export interface FunctionMetrics {
  read(from: Date, until: Date): Promise<FunctionHealth>;
  /** The end of the last five minutes in [from, until) with an error or a throttle, or null when there was none. */
  lastTrouble(from: Date, until: Date): Promise<Date | null>;
}

/** Turns a pipeline's own kill switch off: the same parameter ops flip, so `ops switches` and `ops enable` see it. */
export interface SwitchWriter {
  turnOff(slug: string): Promise<void>;
}

