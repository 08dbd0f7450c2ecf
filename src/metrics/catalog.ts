import type { MetricName } from '../curator/ports.js';

/** The two custom namespaces of DESIGN.md section 5. */
export const Namespace = {
  Pipelines: 'Storytailor/Pipelines',
  Email: 'Storytailor/Email',
} as const;
export type Namespace = (typeof Namespace)[keyof typeof Namespace];

export type DimensionName = 'PipelineType' | 'VetoReason' | 'Environment' | 'EmailType' | 'Function' | 'Source';

/**
 * How a metric is published: its namespace, every dimension set it is emitted under (CloudWatch matches an
 * alarm's dimensions exactly, so each set the guides' alarms and widgets use is its own series), and whether a
 * run's observations are summed (counts) or kept as a distribution (durations, per-run rates) so that averages
 * and percentiles survive.
 */
export interface MetricDefinition {
  readonly namespace: Namespace;
  readonly dimensionSets: ReadonlyArray<readonly DimensionName[]>;
  readonly aggregate: 'sum' | 'distribution';
}

const none: readonly DimensionName[] = [];
const byPipeline: readonly DimensionName[] = ['PipelineType'];
const byEmailType: readonly DimensionName[] = ['EmailType'];

/** Every metric the curator and the webhook publish. The alarms (infra) are built from this same table. */
export const metricCatalog: Readonly<Record<MetricName, MetricDefinition>> = {
  PipelineExecutions: { namespace: Namespace.Pipelines, dimensionSets: [['PipelineType', 'Environment'], byPipeline], aggregate: 'sum' },
  PipelineVetoes: {
    namespace: Namespace.Pipelines,
    dimensionSets: [['PipelineType', 'VetoReason'], byPipeline, ['VetoReason']],
    aggregate: 'sum',
  },
  SLAViolations: { namespace: Namespace.Pipelines, dimensionSets: [none, byPipeline], aggregate: 'sum' },
  VetoRate: { namespace: Namespace.Pipelines, dimensionSets: [none, byPipeline], aggregate: 'distribution' },
  EmailDeliveryFailure: { namespace: Namespace.Pipelines, dimensionSets: [none], aggregate: 'sum' },
  EmailsSent: { namespace: Namespace.Pipelines, dimensionSets: [none, byPipeline, byEmailType], aggregate: 'sum' },
  CreditsIssued: { namespace: Namespace.Pipelines, dimensionSets: [none, byPipeline], aggregate: 'sum' },
  // From the Stripe webhook: curator credits an invoice took from the balance (a credit used up counts once; a voided
  // invoice's credits count back as negative cents), by the credit's source.
  CreditsApplied: { namespace: Namespace.Pipelines, dimensionSets: [none, ['Source']], aggregate: 'sum' },
  CreditsAppliedCents: { namespace: Namespace.Pipelines, dimensionSets: [none, ['Source']], aggregate: 'sum' },
  // Stripe events the webhook acknowledged and did nothing with: a customer the curator never credited.
  StripeEventsIgnored: { namespace: Namespace.Pipelines, dimensionSets: [none], aggregate: 'sum' },
  // Deliveries the Stripe webhook refused as not signed for its endpoint (a secret that no longer matches, forgeries).
  StripeWebhookRefused: { namespace: Namespace.Pipelines, dimensionSets: [none], aggregate: 'sum' },
  // The quiet-hours release: held emails it sent once their family's window ended, and those it recorded superseded
  // (their pipeline's next firing came first). What was held is PipelineVetoes with VetoReason QUIET_HOURS.
  QuietHoursReleased: { namespace: Namespace.Pipelines, dimensionSets: [none, byPipeline], aggregate: 'sum' },
  QuietHoursSuperseded: { namespace: Namespace.Pipelines, dimensionSets: [none, byPipeline], aggregate: 'sum' },
  JobDuration: { namespace: Namespace.Pipelines, dimensionSets: [none, byPipeline], aggregate: 'distribution' },
  CrisisEscalations: { namespace: Namespace.Pipelines, dimensionSets: [none, byPipeline], aggregate: 'sum' },
  BudgetExceeded: { namespace: Namespace.Pipelines, dimensionSets: [none, byPipeline], aggregate: 'sum' },
  InvalidEvents: { namespace: Namespace.Pipelines, dimensionSets: [none], aggregate: 'sum' },
  MissedRuns: { namespace: Namespace.Pipelines, dimensionSets: [none, byPipeline], aggregate: 'sum' },
  StuckRuns: { namespace: Namespace.Pipelines, dimensionSets: [none, byPipeline], aggregate: 'sum' },
  FailedRuns: { namespace: Namespace.Pipelines, dimensionSets: [none, byPipeline], aggregate: 'sum' },
  SwitchReadFailures: { namespace: Namespace.Pipelines, dimensionSets: [none], aggregate: 'sum' },
  // How many stored parameters the curator ignores (out of range, not a plain number, a check the pipeline lacks),
  // as the health job finds them every 15 minutes: a gauge, 0 when every value is applied.
  IgnoredParameters: { namespace: Namespace.Pipelines, dimensionSets: [none], aggregate: 'distribution' },
  // 1 while the morning ops email is past due (09:30 UTC) and not sent, 0 once it is; from the health job.
  OpsSummaryMissing: { namespace: Namespace.Pipelines, dimensionSets: [none], aggregate: 'distribution' },
  // Emails of unknown outcome past their grace window that no evidence settles (no SendGrid event of their request,
  // and no proof it never arrived), as the health job counts them every 15 minutes: a gauge, 0 when none.
  EmailsInDoubt: { namespace: Namespace.Pipelines, dimensionSets: [none], aggregate: 'distribution' },
  CreditFailures: { namespace: Namespace.Pipelines, dimensionSets: [none, byPipeline], aggregate: 'sum' },
  StoreCallDuration: { namespace: Namespace.Pipelines, dimensionSets: [['Function']], aggregate: 'distribution' },
  DatabaseUnreachable: { namespace: Namespace.Pipelines, dimensionSets: [none], aggregate: 'sum' },
  // The alert pipelines' false-positive rate over 30 days, in percent, published once a day by the ops summary job.
  FalsePositiveRate: { namespace: Namespace.Pipelines, dimensionSets: [byPipeline], aggregate: 'distribution' },
  // From the SendGrid webhook. A message counts once per kind (its first open, its first click), under its email
  // type; Unsubscribes, Bounces and SpamReports keep their no-dimension series as every event counted (the guide's
  // unsubscribe spike), the typed ones count messages.
  EmailsDelivered: { namespace: Namespace.Email, dimensionSets: [none, byEmailType], aggregate: 'sum' },
  EmailOpens: { namespace: Namespace.Email, dimensionSets: [none, byEmailType], aggregate: 'sum' },
  EmailClicks: { namespace: Namespace.Email, dimensionSets: [none, byEmailType], aggregate: 'sum' },
  Unsubscribes: { namespace: Namespace.Email, dimensionSets: [none, byEmailType], aggregate: 'sum' },
  Bounces: { namespace: Namespace.Email, dimensionSets: [none, byEmailType], aggregate: 'sum' },
  SpamReports: { namespace: Namespace.Email, dimensionSets: [none, byEmailType], aggregate: 'sum' },
  // Request batches settled failed ("SendGrid never received it") whose events came after all: their emails may
  // have gone twice. From the SendGrid webhook.
  LateEvidence: { namespace: Namespace.Email, dimensionSets: [none], aggregate: 'sum' },
  // The complaint breaker turning a pipeline off, from the webhook.
  BreakerTrips: { namespace: Namespace.Email, dimensionSets: [none, byPipeline], aggregate: 'sum' },
};
