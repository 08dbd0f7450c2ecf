import type { MetricName } from '../curator/ports.js';
import { clinicalPipelines, falsePositiveCeilingOf, jobTypes, pipelineOf, rules, type JobType, type RuleSlug } from '../pipelines/index.js';
import { Namespace } from './catalog.js';
import type { GuideLine } from './guide-alerts.js';

/** How urgent an alarm is (the monitoring guide's P1–P3; P4, info, is the morning ops email). */
export const severities = ['P1', 'P2', 'P3'] as const;
export type Severity = (typeof severities)[number];

/** The SNS topic each severity publishes to, by its role; the stack names them (`storytailor-…-alerts`). */
export type AlertTopic = 'critical' | 'business-hours' | 'warning';
export const topicOf = (severity: Severity): AlertTopic => ({ P1: 'critical', P2: 'business-hours', P3: 'warning' } as const)[severity];

/** A metric the curator or webhook publishes (matched against the metric catalog by a test). */
export interface CustomAlarmMetric {
  readonly namespace: Namespace;
  readonly name: MetricName;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** An AWS metric of a resource the stack makes. */
export interface ServiceAlarmMetric {
  readonly namespace: 'AWS/Lambda' | 'AWS/SQS' | 'AWS/Events';
  readonly name: string;
  /** Which resource's dimensions: the curator function, the Stripe webhook's, its dead-letter queue, or one of the eight rules. */
  readonly resource: 'curator-function' | 'stripe-webhook-function' | 'dead-letter-queue' | { readonly rule: RuleSlug };
}

export type AlarmMetric = CustomAlarmMetric | ServiceAlarmMetric;
export type AlarmStatistic = 'Sum' | 'Average' | 'Maximum' | 'p95' | 'p99';

/** One metric read with one statistic: what an alarm compares, or one term of its expression. */
export interface MetricRead {
  readonly metric: AlarmMetric;
  readonly statistic: AlarmStatistic;
}

/**
 * A rate in percent, as CloudWatch metric math: 100 x numerator / denominator, each the sum of its metrics (a missing
 * datum counts 0), evaluated only when the denominator reaches `minimum` (a quiet hour's 1 of 3 is not 33 %); below
 * it the expression answers `belowMinimum`, a value on the quiet side of the threshold.
 */
export interface RateWatch {
  readonly numerator: Readonly<Record<string, MetricRead>>;
  readonly denominator: Readonly<Record<string, MetricRead>>;
  readonly minimum: number;
  /** What the ratio means, for the dashboard and the runbook (`unsubscribes / deliveries`). */
  readonly label: string;
}

interface AlarmBase {
  /** The guides' name; staging appends `-staging`. */
  readonly name: string;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly comparison: 'greater' | 'less';
  /** A number; or, for concurrency, a share of the function's reserved concurrency (cdk.json), in percent. */
  readonly threshold: number | { readonly percentOfReservedConcurrency: number };
  /**
   * Who is told and how fast, which is also the route (`topicOf`): P1 pages at once (PagerDuty, high urgency), P2
   * pages within support hours (a second PagerDuty service), P3 is a warning in Slack. The guides' severity where they
   * give one; our own alarms say which of the three they are.
   */
  readonly severity: Severity;
  /**
   * How a period without data counts. Most metrics are only published when something happens, so silence is fine
   * (`notBreaching`, the default); a metric published on every health run goes silent when the health job stops,
   * which must page too (`breaching`).
   */
  readonly missingData?: 'breaching' | 'notBreaching';
  /** What on-call does first, one sentence; the alarm's description repeats it. */
  readonly action: string;
  /** The runbook section (`### …` in runbooks/monitoring.md) with the whole action; the alarm's name by default. */
  readonly section?: string;
  /** The guides' alert lines this alarm answers (src/metrics/guide-alerts.ts); none for our own. */
  readonly answers: readonly GuideLine[];
}

/** An alarm on one metric. */
export interface MetricAlarm extends AlarmBase, MetricRead {
  readonly kind: 'metric';
}

/** An alarm on a rate: metric math over counts. */
export interface RateAlarm extends AlarmBase {
  readonly kind: 'rate';
  readonly rate: RateWatch;
}

export type AlarmDefinition = MetricAlarm | RateAlarm;

/** The metric-math expression of a rate alarm, exactly as the stack writes it. */
export function rateExpression(alarm: RateAlarm): string {
  const sum = (terms: Readonly<Record<string, MetricRead>>) => {
    const ids = Object.keys(terms).map((id) => `FILL(${id}, 0)`);
    return ids.length === 1 ? ids[0]! : `(${ids.join(' + ')})`;
  };
  const below = belowMinimum(alarm);
  const denominator = sum(alarm.rate.denominator);
  return `IF(${denominator} >= ${alarm.rate.minimum}, 100 * ${sum(alarm.rate.numerator)} / ${denominator}, ${below})`;
}

/** Below the minimum volume a rate answers 0 (for a "more than" alarm) or 100 (for a "less than" one): never breaching. */
export function belowMinimum(alarm: RateAlarm): number {
  return alarm.comparison === 'greater' ? 0 : 100;
}

/** Every metric an alarm reads. */
export function readsOf(alarm: AlarmDefinition): MetricRead[] {
  return alarm.kind === 'metric' ? [alarm] : [...Object.values(alarm.rate.numerator), ...Object.values(alarm.rate.denominator)];
}

const pipelines = Namespace.Pipelines;
const email = Namespace.Email;
const metric = (namespace: Namespace, name: MetricName, dimensions: Readonly<Record<string, string>> = {}): CustomAlarmMetric => ({ namespace, name, dimensions });
const sum = (read: AlarmMetric): MetricRead => ({ metric: read, statistic: 'Sum' });
const lambda = (name: string): ServiceAlarmMetric => ({ namespace: 'AWS/Lambda', name, resource: 'curator-function' });
const hour = 3_600;
const day = 86_400;

/** The monitoring guide's Lambda duration targets ("Performance Baselines"), on the curator's own JobDuration. */
const durationTargets: ReadonlyArray<{ jobType: JobType; statistic: 'p95' | 'p99'; milliseconds: number; line: GuideLine }> = [
  { jobType: 'daily_digest', statistic: 'p99', milliseconds: 30_000, line: 'monitoring · Baseline · Daily digest batch: <30s (p99)' },
  { jobType: 'weekly_insights', statistic: 'p99', milliseconds: 60_000, line: 'monitoring · Baseline · Weekly insights batch: <60s (p99)' },
  { jobType: 'story_scoring', statistic: 'p99', milliseconds: 45_000, line: 'monitoring · Baseline · Story scoring batch: <45s (p99)' },
  { jobType: 'referral_rewards', statistic: 'p99', milliseconds: 10_000, line: 'monitoring · Baseline · Referral reward processing: <10s (p99)' },
  ...slaPipelines().map((jobType) => ({
    jobType,
    statistic: 'p95' as const,
    milliseconds: 5_000,
    line: 'monitoring · Baseline · Single pipeline execution: <5s (p95)' as const,
  })),
];

/**
 * Database query targets as p99 of StoreCallDuration. Of the guide's four functions the store calls one
 * (calculate_story_effectiveness, the scoring job); its should_send_email() target is held by the function that
 * answers the same question for one family in the curator (curator_signal_candidate, a realtime signal's cap facts).
 * The page functions of a batch run move up to 1,000 families a call: their targets are ours, written down here.
 */
const storeTargets: ReadonlyArray<{ fn: string; milliseconds: number; periodSeconds: number; line: GuideLine | null }> = [
  { fn: 'calculate_story_effectiveness', milliseconds: 500, periodSeconds: 86_400, line: 'monitoring · Baseline · `calculate_story_effectiveness()`: <500ms' },
  { fn: 'curator_signal_candidate', milliseconds: 100, periodSeconds: 3_600, line: 'monitoring · Baseline · `should_send_email()`: <100ms' },
  { fn: 'curator_digest_candidates', milliseconds: 2_000, periodSeconds: 3_600, line: null },
  { fn: 'curator_record_decisions', milliseconds: 2_000, periodSeconds: 3_600, line: null },
  { fn: 'curator_record_outcomes', milliseconds: 2_000, periodSeconds: 3_600, line: null },
  { fn: 'curator_apply_email_events', milliseconds: 1_000, periodSeconds: 3_600, line: null },
];

/** Both guides' email failure rates (5 % critical, 10 % P1) read the same ratio. */
const emailFailures: RateWatch = {
  numerator: { failed: sum(metric(pipelines, 'EmailDeliveryFailure')) },
  denominator: { failed: sum(metric(pipelines, 'EmailDeliveryFailure')), sent: sum(metric(pipelines, 'EmailsSent')) },
  minimum: 20,
  label: 'emails refused or unanswered / emails attempted',
};

const guideAlarms: AlarmDefinition[] = [
  // The monitoring guide's five put-metric-alarm commands, exactly as written.
  {
    kind: 'metric',
    name: 'storytailor-email-failure-rate',
    metric: metric(pipelines, 'EmailDeliveryFailure'),
    statistic: 'Sum',
    periodSeconds: hour,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 50,
    severity: 'P1',
    action: 'SendGrid is refusing email: check its status and errors in the log, then replay the period',
    answers: ['monitoring · put-metric-alarm · storytailor-email-failure-rate'],
  },
  {
    kind: 'metric',
    name: 'storytailor-crisis-sla-violations',
    metric: metric(pipelines, 'PipelineVetoes', { VetoReason: 'SLA_MISSED', PipelineType: 'crisis_alert' }),
    statistic: 'Sum',
    periodSeconds: hour,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 3,
    severity: 'P1',
    action: 'Crisis signals arrive late: check the app-to-EventBridge delay and the curator cold starts',
    answers: ['monitoring · put-metric-alarm · storytailor-crisis-sla-violations', 'operations · Critical · Crisis alert SLA violations >3/hour'],
  },
  {
    kind: 'metric',
    name: 'storytailor-curator-errors',
    metric: lambda('Errors'),
    statistic: 'Sum',
    periodSeconds: 300,
    evaluationPeriods: 2,
    comparison: 'greater',
    threshold: 10,
    severity: 'P1',
    action: 'The curator is failing: filter its log for ERROR, then replay what failed',
    answers: ['monitoring · put-metric-alarm · storytailor-curator-errors', 'monitoring · P1 · Crisis alert system down'],
  },
  {
    kind: 'metric',
    name: 'storytailor-high-veto-rate',
    metric: metric(pipelines, 'VetoRate'),
    statistic: 'Average',
    periodSeconds: day,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 80,
    severity: 'P3',
    action: 'Most actions are vetoed (quiet-hours holds are not counted): check data collection and the veto reasons',
    answers: ['monitoring · put-metric-alarm · storytailor-high-veto-rate', 'monitoring · P3 · High veto rates (data collection issue)'],
  },
  {
    kind: 'metric',
    name: 'storytailor-unsubscribe-spike',
    metric: metric(email, 'Unsubscribes'),
    statistic: 'Sum',
    periodSeconds: hour,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 10,
    severity: 'P2',
    action: 'Families are unsubscribing: switch off what is sending (ops disable daily-digest), then follow the spam complaints scenario',
    answers: [
      'monitoring · put-metric-alarm · storytailor-unsubscribe-spike',
      'monitoring · Email alerts · Unsubscribe spike (>10 in 1 hour)',
      'monitoring · P2 · Unsubscribe spike',
    ],
  },

  // The other alert lines of the two guides.
  {
    kind: 'rate',
    name: 'storytailor-email-failure-percent',
    rate: emailFailures,
    periodSeconds: hour,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 5,
    severity: 'P1',
    section: 'storytailor-email-failure-rate',
    action: 'More than 5 % of the emails sent in the last hour failed: check SendGrid and the failed lines in the log, then replay the period',
    answers: ['operations · Critical · Email failure rate >5%'],
  },
  {
    kind: 'rate',
    name: 'storytailor-email-failure-percent-p1',
    rate: emailFailures,
    periodSeconds: hour,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 10,
    severity: 'P1',
    section: 'storytailor-email-failure-rate',
    action: 'More than 10 % of the emails sent in the last hour failed (P1, respond in 15 minutes): check SendGrid, then replay the period',
    answers: ['monitoring · P1 · Email delivery failure rate >10%'],
  },
  {
    kind: 'rate',
    name: 'storytailor-bounce-rate',
    rate: {
      numerator: { bounced: sum(metric(email, 'Bounces')) },
      denominator: { bounced: sum(metric(email, 'Bounces')), delivered: sum(metric(email, 'EmailsDelivered')) },
      minimum: 200,
      label: 'hard bounces / (deliveries + hard bounces)',
    },
    periodSeconds: day,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 5,
    severity: 'P3',
    section: 'Email health by type',
    action: 'More than 5 % of the day\'s emails bounced: check the bounce reasons in SendGrid and the sending domain',
    answers: ['monitoring · Email alerts · Bounce rate >5%'],
  },
  ...emailTypes().map(
    (emailType): AlarmDefinition => ({
      kind: 'rate',
      name: `storytailor-open-rate-${emailType.replaceAll('_', '-')}`,
      rate: {
        numerator: { opened: sum(metric(email, 'EmailOpens', { EmailType: emailType })) },
        denominator: { delivered: sum(metric(email, 'EmailsDelivered', { EmailType: emailType })) },
        minimum: 100,
        label: `first opens / deliveries of ${emailType}`,
      },
      periodSeconds: day,
      evaluationPeriods: 1,
      comparison: 'less',
      threshold: 30,
      severity: 'P3',
      section: 'Email health by type',
      action: `Fewer than 30 % of the day's ${emailType} emails were opened: check the content and the inbox placement before sending more`,
      answers: ['monitoring · Email alerts · Open rate <30% for any type'],
    }),
  ),
  {
    kind: 'rate',
    name: 'storytailor-unsubscribe-rate',
    rate: {
      numerator: { unsubscribed: sum(metric(email, 'Unsubscribes')) },
      denominator: { delivered: sum(metric(email, 'EmailsDelivered')) },
      minimum: 500,
      label: 'unsubscribes / deliveries',
    },
    periodSeconds: day,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 0.3,
    severity: 'P3',
    section: 'Email health by type',
    action: 'More than 0.3 % of the day\'s deliveries unsubscribed: find the type (dashboard) and follow the spam complaints scenario',
    answers: ['operations · Warning · Unsubscribe rate >0.3%'],
  },
  ...(['low', 'high'] as const).map(
    (side): AlarmDefinition => ({
      kind: 'rate',
      name: `storytailor-weekly-insights-veto-rate-${side}`,
      rate: {
        numerator: { vetoed: sum(metric(pipelines, 'PipelineVetoes', { PipelineType: 'weekly_insights' })) },
        denominator: { decided: sum(metric(pipelines, 'PipelineExecutions', { PipelineType: 'weekly_insights' })) },
        minimum: 50,
        label: 'weekly insights vetoes / decisions',
      },
      periodSeconds: day,
      evaluationPeriods: 1,
      comparison: side === 'low' ? 'less' : 'greater',
      threshold: side === 'low' ? 10 : 90,
      severity: 'P3',
      section: 'Weekly insights veto rate',
      action:
        side === 'low'
          ? 'The weekly insights run vetoed under 10 %: it is sending to nearly everyone, check the thresholds and the signal counts'
          : 'The weekly insights run vetoed over 90 %: too little data reaches it, check data collection and the veto reasons',
      answers: [side === 'low' ? 'operations · Warning · Veto rate <10% for insights (sending too much)' : 'operations · Warning · Veto rate >90% for insights (not enough data)'],
    }),
  ),
  {
    kind: 'rate',
    name: 'storytailor-sla-violation-rate',
    rate: {
      numerator: { missed: sum(metric(pipelines, 'SLAViolations')) },
      denominator: Object.fromEntries(slaPipelines().map((jobType) => [`decided_${jobType}`, sum(metric(pipelines, 'PipelineExecutions', { PipelineType: jobType }))])),
      minimum: 20,
      label: 'SLA_MISSED vetoes / decisions of the SLA pipelines',
    },
    periodSeconds: day,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 5,
    severity: 'P3',
    section: 'SLA violations',
    action: 'More than 5 % of the realtime signals missed their emotional SLA today: measure the event-to-processing delay (database-queries.md)',
    answers: ['monitoring · SLA alerts · SLA violation rate >5%', 'operations · Weekly Checklist · SLA violation rate >5%'],
  },
  {
    kind: 'metric',
    name: 'storytailor-sla-violations',
    metric: metric(pipelines, 'SLAViolations'),
    statistic: 'Sum',
    periodSeconds: hour,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 0,
    severity: 'P3',
    section: 'SLA violations',
    action: 'A realtime signal missed its emotional SLA in the last hour: check the delay by pipeline before it becomes a pattern',
    answers: ['operations · Warning · SLA violations 1-3/hour'],
  },
  {
    kind: 'metric',
    name: 'storytailor-sla-violations-p2',
    metric: metric(pipelines, 'SLAViolations'),
    statistic: 'Sum',
    periodSeconds: hour,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 5,
    severity: 'P2',
    section: 'SLA violations',
    action: 'More than 5 realtime signals missed their SLA in an hour: find the slow link (app, EventBridge, cold starts, database)',
    answers: ['monitoring · P2 · SLA violations >5/hour'],
  },
  {
    kind: 'metric',
    name: 'storytailor-crisis-sla-violation',
    metric: metric(pipelines, 'PipelineVetoes', { VetoReason: 'SLA_MISSED', PipelineType: 'crisis_alert' }),
    statistic: 'Sum',
    periodSeconds: hour,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 1,
    severity: 'P3',
    section: 'storytailor-crisis-sla-violations',
    action: 'More than one crisis alert reached the curator late in an hour: each was escalated; check the app-to-EventBridge delay now',
    answers: ['monitoring · SLA alerts · Crisis alert SLA violations >1 in 1 hour'],
  },
  {
    kind: 'metric',
    name: 'storytailor-curator-errors-hourly',
    metric: lambda('Errors'),
    statistic: 'Sum',
    periodSeconds: hour,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 10,
    severity: 'P1',
    section: 'storytailor-curator-errors',
    action: 'The curator threw more than 10 times in an hour: filter its log for ERROR, then replay what failed',
    answers: ['monitoring · P1 · Lambda function errors >10/hour', 'operations · Critical · Lambda errors >10/hour'],
  },
  {
    kind: 'rate',
    name: 'storytailor-curator-error-rate',
    rate: {
      numerator: { errors: sum(lambda('Errors')) },
      denominator: { invocations: sum(lambda('Invocations')) },
      minimum: 20,
      label: 'curator errors / invocations',
    },
    periodSeconds: hour,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 1,
    severity: 'P3',
    section: 'storytailor-curator-errors',
    action: 'More than 1 % of the curator\'s invocations in the last hour threw: filter its log for ERROR',
    answers: ['monitoring · Lambda alerts · Error rate >1%'],
  },
  {
    kind: 'metric',
    name: 'storytailor-curator-throttles',
    metric: lambda('Throttles'),
    statistic: 'Sum',
    periodSeconds: 300,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 0,
    severity: 'P1',
    action: 'Invocations are throttled (crisis alerts may wait): raise reserved concurrency',
    answers: ['monitoring · Lambda alerts · Throttles >0', 'monitoring · P1 · Crisis alert system down'],
  },
  {
    kind: 'metric',
    name: 'storytailor-curator-duration-p99',
    metric: lambda('Duration'),
    statistic: 'p99',
    periodSeconds: hour,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 30_000,
    severity: 'P3',
    action: 'Batch runs are slow: check page timings and database latency',
    answers: ['monitoring · Lambda alerts · Duration p99 >30s for batch jobs'],
  },
  ...durationTargets.map(
    ({ jobType, statistic, milliseconds, line }): AlarmDefinition => ({
      kind: 'metric',
      name: `storytailor-${pipelineOf(jobType).slug}-duration-${statistic}`,
      metric: metric(pipelines, 'JobDuration', { PipelineType: jobType }),
      statistic,
      periodSeconds: statistic === 'p99' ? day : hour,
      evaluationPeriods: 1,
      comparison: 'greater',
      threshold: milliseconds,
      severity: 'P3',
      section: 'Job duration targets',
      action: `${pipelineOf(jobType).displayName} took longer than its ${milliseconds / 1_000} s target: check its run's page timings (ops run) and the store call durations`,
      answers: [line, ...(statistic === 'p99' ? ['monitoring · Lambda alerts · Duration p99 >30s for batch jobs' as const] : [])],
    }),
  ),
  ...(Object.keys(rules) as RuleSlug[]).map(
    (slug): AlarmDefinition => ({
      kind: 'metric',
      name: `storytailor-${slug}-failed-invocations`,
      metric: { namespace: 'AWS/Events', name: 'FailedInvocations', resource: { rule: slug } },
      statistic: 'Sum',
      periodSeconds: 300,
      evaluationPeriods: 1,
      comparison: 'greater',
      threshold: 0,
      severity: 'P1',
      section: 'EventBridge failed invocations',
      action:
        slug === 'realtime-signals'
          ? 'EventBridge could not invoke the curator for realtime signals: crisis alerts are not arriving, check the function and its permission now'
          : `EventBridge could not invoke the curator for ${slug}: check the function and its resource policy, then replay the period`,
      answers: [
        'operations · Critical · EventBridge job failures',
        'monitoring · P2 · EventBridge job failures',
        ...(slug === 'realtime-signals' ? ['monitoring · P1 · Crisis alert system down' as const] : []),
      ],
    }),
  ),
  {
    kind: 'metric',
    name: 'storytailor-failed-runs',
    metric: metric(pipelines, 'FailedRuns'),
    statistic: 'Sum',
    periodSeconds: 900,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 0,
    severity: 'P1',
    action: 'A run failed with an error (its row says which): Lambda retries it twice; if it stays failed, fix and replay',
    answers: ['operations · Critical · EventBridge job failures', 'monitoring · P2 · EventBridge job failures'],
  },
  {
    kind: 'metric',
    name: 'storytailor-referral-reward-failures',
    metric: metric(pipelines, 'CreditFailures', { PipelineType: 'referral_rewards' }),
    statistic: 'Sum',
    periodSeconds: hour,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 0,
    severity: 'P2',
    action: 'Stripe refused or never answered a referral credit: read the ledger row\'s error (ops family), then replay referral_rewards',
    answers: ['monitoring · P2 · Referral reward failures'],
  },
  {
    kind: 'metric',
    name: 'storytailor-database-unavailable',
    metric: metric(pipelines, 'DatabaseUnreachable'),
    statistic: 'Sum',
    periodSeconds: 900,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 0,
    severity: 'P1',
    action: 'The health job could not read the database: check Supabase status and the service key secret; nothing is decided until it is back',
    answers: ['monitoring · P1 · Database unavailable'],
  },
  {
    kind: 'metric',
    name: 'storytailor-curator-concurrency',
    metric: lambda('ConcurrentExecutions'),
    statistic: 'Maximum',
    periodSeconds: 300,
    evaluationPeriods: 3,
    comparison: 'greater',
    threshold: { percentOfReservedConcurrency: 80 },
    severity: 'P3',
    action: 'The curator ran above 80 % of its reserved concurrency for 15 minutes: raise reservedConcurrency before realtime signals are throttled',
    answers: ['monitoring · P3 · Capacity warnings'],
  },
  ...storeTargets.map(
    ({ fn, milliseconds, line, periodSeconds }): AlarmDefinition => ({
      kind: 'metric',
      name: `storytailor-store-${fn.replaceAll('_', '-')}-p99`,
      metric: metric(pipelines, 'StoreCallDuration', { Function: fn }),
      statistic: 'p99',
      periodSeconds,
      evaluationPeriods: 1,
      comparison: 'greater',
      threshold: milliseconds,
      severity: 'P3',
      section: 'Database query targets',
      action: `${fn} took over ${milliseconds} ms (p99): check the database's load and the query plan (database-queries.md, slow queries)`,
      answers: [...(line === null ? [] : [line]), 'monitoring · P3 · Slow query warnings'],
    }),
  ),
];

/** Alarms of our own, for what the guides do not name. */
const ownAlarms: AlarmDefinition[] = [
  // The operations guide's monthly checklist: "Review false positive rates: Therapeutic: Should be <30 %, Crisis:
  // Should be <10 %. If higher, escalate to engineering." The ops summary job publishes the 30-day rate daily.
  ...clinicalPipelines.map(
    (jobType): AlarmDefinition => ({
      kind: 'metric',
      name: `storytailor-false-positive-rate-${pipelineOf(jobType).slug}`,
      metric: metric(pipelines, 'FalsePositiveRate', { PipelineType: jobType }),
      statistic: 'Maximum',
      periodSeconds: day,
      evaluationPeriods: 1,
      comparison: 'greater',
      threshold: falsePositiveCeilingOf(jobType)!,
      severity: 'P3',
      action: `More than ${falsePositiveCeilingOf(jobType)} % of the last 30 days' ${jobType} alerts were marked false positives by the clinical review: escalate to engineering (ops false-positives)`,
      section: 'storytailor-false-positive-rate',
      answers: [],
    }),
  ),
  {
    kind: 'metric',
    name: 'storytailor-crisis-escalations',
    metric: metric(pipelines, 'CrisisEscalations'),
    statistic: 'Sum',
    periodSeconds: 300,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 0,
    severity: 'P1',
    action: 'A crisis alert was not delivered in time: contact the family now (escalated rows in pipeline_executions)',
    answers: ['monitoring · P1 · Crisis alert system down'],
  },
  {
    kind: 'metric',
    // The breaker's page: an alarm, since PagerDuty and Slack read alarm payloads and drop plain text on a topic.
    name: 'storytailor-complaint-breaker',
    metric: metric(email, 'BreakerTrips'),
    statistic: 'Sum',
    periodSeconds: 300,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 0,
    severity: 'P1',
    action: "The complaint breaker turned an email pipeline's switch off on a spike of unsubscribes and spam reports: find the cause, then ops enable and replay what it held",
    answers: [],
  },
  {
    kind: 'metric',
    name: 'storytailor-bounces',
    metric: metric(email, 'Bounces'),
    statistic: 'Sum',
    periodSeconds: hour,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 50,
    severity: 'P3',
    action: 'Many hard bounces: check list hygiene and the sending domain',
    answers: [],
  },
  {
    kind: 'metric',
    name: 'storytailor-spam-reports',
    metric: metric(email, 'SpamReports'),
    statistic: 'Sum',
    periodSeconds: hour,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 0,
    severity: 'P3',
    action: 'A family reported an email as spam: review what it received (ops family)',
    answers: ['monitoring · Email alerts · Spam complaints >0'],
  },
  {
    kind: 'metric',
    name: 'storytailor-budget-exceeded',
    metric: metric(pipelines, 'BudgetExceeded'),
    statistic: 'Sum',
    periodSeconds: 300,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 0,
    severity: 'P1',
    action: 'The spend guard held actions back: find why credits or emails ran past their ceiling',
    answers: [],
  },
  {
    kind: 'metric',
    name: 'storytailor-missed-runs',
    metric: metric(pipelines, 'MissedRuns'),
    statistic: 'Maximum',
    periodSeconds: hour,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 0,
    severity: 'P1',
    // The health job publishes MissedRuns (0 or more) every 15 minutes: no data for an hour means it stopped.
    missingData: 'breaching',
    action: 'A scheduled job never started, or the health job that looks stopped: check the rules and the health schedule, then replay',
    answers: [],
  },
  {
    kind: 'metric',
    name: 'storytailor-stuck-runs',
    metric: metric(pipelines, 'StuckRuns'),
    statistic: 'Sum',
    periodSeconds: 900,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 0,
    severity: 'P1',
    action: 'An invocation died mid-run (its lease ran out): the health job resumes it; check it finished (ops runs)',
    answers: [],
  },
  {
    kind: 'metric',
    name: 'storytailor-curator-dead-letters',
    metric: { namespace: 'AWS/SQS', name: 'ApproximateNumberOfMessagesVisible', resource: 'dead-letter-queue' },
    statistic: 'Maximum',
    periodSeconds: 300,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 0,
    severity: 'P1',
    action: 'Events the curator could not take are waiting in the dead-letter queue: read them, replay them',
    answers: [],
  },
  {
    kind: 'metric',
    name: 'storytailor-switch-read-failures',
    metric: metric(pipelines, 'SwitchReadFailures'),
    statistic: 'Sum',
    periodSeconds: 900,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 0,
    severity: 'P3',
    action: 'SSM cannot be read: the curator uses the last switches it read (or vetoes email and credit)',
    answers: [],
  },
  {
    kind: 'metric',
    // Info (P4) is the morning email: its absence is a warning, so the report that never came reaches a person.
    name: 'storytailor-ops-summary-missing',
    metric: metric(pipelines, 'OpsSummaryMissing'),
    statistic: 'Maximum',
    periodSeconds: 1_800,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 0,
    severity: 'P3',
    action: "The morning ops email has not gone out by 09:30 UTC: check the ops summary's log lines and its Scheduler schedule, then invoke it by hand (runbooks/monitoring.md)",
    answers: [],
  },
  {
    kind: 'metric',
    name: 'storytailor-ignored-parameters',
    metric: metric(pipelines, 'IgnoredParameters'),
    statistic: 'Maximum',
    // The health job counts them every 15 minutes: two of its runs per period, so a period is never empty.
    periodSeconds: 1_800,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 0,
    severity: 'P3',
    action: 'A parameter under the root is ignored (out of its range or not a plain number) and its default applies: `npm run ops -- thresholds` names it; fix it with ops tune or reset it',
    answers: [],
  },
  {
    kind: 'metric',
    name: 'storytailor-emails-in-doubt',
    metric: metric(pipelines, 'EmailsInDoubt'),
    statistic: 'Maximum',
    // The health job counts them every 15 minutes: two of its runs per period, so a period is never empty.
    periodSeconds: 1_800,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 0,
    severity: 'P2',
    action:
      'Emails a crash left of unknown outcome that SendGrid\'s events cannot settle (the webhook failed, or Processed is off): `npm run ops -- in-doubt` lists them; check the webhook, then `ops settle <batch> --sent|--failed`',
    answers: [],
  },
  {
    kind: 'metric',
    name: 'storytailor-late-evidence',
    metric: metric(email, 'LateEvidence'),
    statistic: 'Sum',
    periodSeconds: hour,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 0,
    severity: 'P3',
    action:
      "SendGrid's events came for a request already settled failed and resent: those families may have had the email twice. Check SendGrid's event delays and raise CURATOR_EVIDENCE_GRACE_MINUTES if they persist",
    answers: [],
  },
  // Stripe retries a failed delivery for three days, so a webhook that fails or refuses loses nothing yet: it must be
  // seen within those days, or credits stay `pending` that invoices took.
  {
    kind: 'metric',
    name: 'storytailor-stripe-webhook-errors',
    metric: { namespace: 'AWS/Lambda', name: 'Errors', resource: 'stripe-webhook-function' },
    statistic: 'Sum',
    periodSeconds: hour,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 0,
    severity: 'P2',
    action:
      "The Stripe webhook failed to record invoices (answered 500 or crashed): read its log (`stripe webhook`), fix the database or the secret; Stripe retries each delivery for three days",
    section: 'Stripe webhook failing',
    answers: [],
  },
  {
    kind: 'metric',
    name: 'storytailor-stripe-webhook-refused',
    metric: metric(pipelines, 'StripeWebhookRefused'),
    statistic: 'Sum',
    periodSeconds: hour,
    evaluationPeriods: 1,
    comparison: 'greater',
    threshold: 2,
    severity: 'P2',
    action:
      "The Stripe webhook refused more than 2 deliveries in an hour as not signed for its endpoint: the signing secret in Secrets Manager no longer matches Stripe's (rotated?), or someone is posting forgeries; the log says which check failed",
    section: 'Stripe webhook failing',
    answers: [],
  },
];

/**
 * One test alarm per severity, set to ALARM and back by `ops page-test`, so the whole path of that severity (CloudWatch,
 * its topic, PagerDuty or Slack) is exercised with a real alarm payload. It watches a metric nothing publishes.
 */
export const pageTestAlarmName = (severity: Severity): string => `storytailor-page-test-${severity.toLowerCase()}`;

/**
 * Every alarm the stack makes: each alert line of the two guides (src/metrics/guide-alerts.ts says which answers
 * which, and why a line has none), then our own. runbooks/monitoring.md's table is generated from this
 * (`npm run alarms`).
 */
export const alarms: readonly AlarmDefinition[] = [...guideAlarms, ...ownAlarms];

/** The name a resource has in an environment: production as the guides write it, staging with `-staging`. */
export function nameIn(environment: 'production' | 'staging', name: string): string {
  return environment === 'production' ? name : `${name}-staging`;
}

/** The email types the curator sends, one per email pipeline. */
function emailTypes(): string[] {
  return jobTypes.flatMap((jobType) => {
    const type = pipelineOf(jobType).emailType;
    return type === null ? [] : [type];
  });
}

/** The pipelines with an emotional SLA (the realtime ones), which the SLA rate counts. */
function slaPipelines(): JobType[] {
  return jobTypes.filter((jobType) => pipelineOf(jobType).thresholds.slaMinutes !== null);
}
