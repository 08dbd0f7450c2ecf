import type { MetricName } from '../curator/ports.js';
import { Namespace } from './catalog.js';

/** A metric the curator or webhook publishes (matched against the metric catalog by a test). */
export interface CustomAlarmMetric {
  readonly namespace: Namespace;
  readonly name: MetricName;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** An AWS metric of a resource the stack makes. */
export interface ServiceAlarmMetric {
  readonly namespace: 'AWS/Lambda' | 'AWS/SQS';
  readonly name: string;
  /** Which resource's dimensions: the curator function, or its dead-letter queue. */
  readonly resource: 'curator-function' | 'dead-letter-queue';
}

/** One alarm: what it watches, when it fires, whom it pages, and what to do. */
export interface AlarmDefinition {
  /** The guides' name; staging appends `-staging`. */
  readonly name: string;
  readonly metric: CustomAlarmMetric | ServiceAlarmMetric;
  readonly statistic: 'Sum' | 'Average' | 'Maximum' | 'p99';
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  /** Fires when the statistic is greater than this. */
  readonly threshold: number;
  readonly topic: 'critical' | 'warning';
  /**
   * How a period without data counts. Most metrics are only published when something happens, so silence is fine
   * (`notBreaching`, the default); a metric published on every health run goes silent when the health job stops,
   * which must page too (`breaching`).
   */
  readonly missingData?: 'breaching' | 'notBreaching';
  /** What on-call does first (runbooks/monitoring.md has the whole action). */
  readonly action: string;
}

const pipelines = Namespace.Pipelines;

/**
 * Every alarm of DESIGN.md section 5, with the monitoring guide's names where it names them. The stack makes
 * exactly these; runbooks/monitoring.md is the alarm-to-action table for on-call.
 */
export const alarms: readonly AlarmDefinition[] = [
  {
    name: 'storytailor-email-failure-rate',
    metric: { namespace: pipelines, name: 'EmailDeliveryFailure', dimensions: {} },
    statistic: 'Sum',
    periodSeconds: 3_600,
    evaluationPeriods: 1,
    threshold: 50,
    topic: 'critical',
    action: 'SendGrid is refusing email: check its status and errors in the log, then replay the period',
  },
  {
    name: 'storytailor-crisis-sla-violations',
    metric: { namespace: pipelines, name: 'PipelineVetoes', dimensions: { VetoReason: 'SLA_MISSED', PipelineType: 'crisis_alert' } },
    statistic: 'Sum',
    periodSeconds: 3_600,
    evaluationPeriods: 1,
    threshold: 3,
    topic: 'critical',
    action: 'Crisis signals arrive late: check the app-to-EventBridge delay and the curator cold starts',
  },
  {
    name: 'storytailor-crisis-escalations',
    metric: { namespace: pipelines, name: 'CrisisEscalations', dimensions: {} },
    statistic: 'Sum',
    periodSeconds: 300,
    evaluationPeriods: 1,
    threshold: 0,
    topic: 'critical',
    action: 'A crisis alert was not delivered in time: contact the family now (escalated rows in pipeline_executions)',
  },
  {
    name: 'storytailor-curator-errors',
    metric: { namespace: 'AWS/Lambda', name: 'Errors', resource: 'curator-function' },
    statistic: 'Sum',
    periodSeconds: 300,
    evaluationPeriods: 2,
    threshold: 10,
    topic: 'critical',
    action: 'The curator is failing: filter its log for ERROR, then replay what failed',
  },
  {
    name: 'storytailor-curator-throttles',
    metric: { namespace: 'AWS/Lambda', name: 'Throttles', resource: 'curator-function' },
    statistic: 'Sum',
    periodSeconds: 300,
    evaluationPeriods: 1,
    threshold: 0,
    topic: 'critical',
    action: 'Invocations are throttled (crisis alerts may wait): raise reserved concurrency',
  },
  {
    name: 'storytailor-curator-duration-p99',
    metric: { namespace: 'AWS/Lambda', name: 'Duration', resource: 'curator-function' },
    statistic: 'p99',
    periodSeconds: 3_600,
    evaluationPeriods: 1,
    threshold: 30_000,
    topic: 'warning',
    action: 'Batch runs are slow: check page timings and database latency',
  },
  {
    name: 'storytailor-high-veto-rate',
    metric: { namespace: pipelines, name: 'VetoRate', dimensions: {} },
    statistic: 'Average',
    periodSeconds: 86_400,
    evaluationPeriods: 1,
    threshold: 80,
    topic: 'warning',
    action: 'Most actions are held back: check data collection and the veto reasons',
  },
  {
    name: 'storytailor-unsubscribe-spike',
    metric: { namespace: Namespace.Email, name: 'Unsubscribes', dimensions: {} },
    statistic: 'Sum',
    periodSeconds: 3_600,
    evaluationPeriods: 1,
    threshold: 10,
    topic: 'warning',
    action: 'Families are unsubscribing: consider switching the daily digest off',
  },
  {
    name: 'storytailor-bounces',
    metric: { namespace: Namespace.Email, name: 'Bounces', dimensions: {} },
    statistic: 'Sum',
    periodSeconds: 3_600,
    evaluationPeriods: 1,
    threshold: 50,
    topic: 'warning',
    action: 'Many hard bounces: check list hygiene and the sending domain',
  },
  {
    name: 'storytailor-spam-reports',
    metric: { namespace: Namespace.Email, name: 'SpamReports', dimensions: {} },
    statistic: 'Sum',
    periodSeconds: 3_600,
    evaluationPeriods: 1,
    threshold: 0,
    topic: 'warning',
    action: 'A family reported email as spam: review what it received',
  },
  {
    name: 'storytailor-budget-exceeded',
    metric: { namespace: pipelines, name: 'BudgetExceeded', dimensions: {} },
    statistic: 'Sum',
    periodSeconds: 300,
    evaluationPeriods: 1,
    threshold: 0,
    topic: 'critical',
    action: 'The spend guard held actions back: find why credits or emails ran past their ceiling',
  },
  {
    name: 'storytailor-missed-runs',
    metric: { namespace: pipelines, name: 'MissedRuns', dimensions: {} },
    statistic: 'Maximum',
    periodSeconds: 3_600,
    evaluationPeriods: 1,
    threshold: 0,
    topic: 'critical',
    // The health job publishes MissedRuns (0 or more) every 15 minutes: no data for an hour means it stopped.
    missingData: 'breaching',
    action: 'A scheduled job never started, or the health job that looks stopped: check the rules and the health schedule, then replay',
  },
  {
    name: 'storytailor-stuck-runs',
    metric: { namespace: pipelines, name: 'StuckRuns', dimensions: {} },
    statistic: 'Sum',
    periodSeconds: 900,
    evaluationPeriods: 1,
    threshold: 0,
    topic: 'critical',
    action: 'An invocation died mid-run (its lease ran out): the health job resumes it; check it finished (ops runs)',
  },
  {
    name: 'storytailor-failed-runs',
    metric: { namespace: pipelines, name: 'FailedRuns', dimensions: {} },
    statistic: 'Sum',
    periodSeconds: 900,
    evaluationPeriods: 1,
    threshold: 0,
    topic: 'critical',
    action: 'A run failed with an error (its row says which): Lambda retries it twice; if it stays failed, fix and replay',
  },
  {
    name: 'storytailor-curator-dead-letters',
    metric: { namespace: 'AWS/SQS', name: 'ApproximateNumberOfMessagesVisible', resource: 'dead-letter-queue' },
    statistic: 'Maximum',
    periodSeconds: 300,
    evaluationPeriods: 1,
    threshold: 0,
    topic: 'critical',
    action: 'Events the curator could not take are waiting in the dead-letter queue: read them, replay them',
  },
  {
    name: 'storytailor-switch-read-failures',
    metric: { namespace: pipelines, name: 'SwitchReadFailures', dimensions: {} },
    statistic: 'Sum',
    periodSeconds: 900,
    evaluationPeriods: 1,
    threshold: 0,
    topic: 'warning',
    action: 'SSM cannot be read: the curator uses the last switches it read (or vetoes email and credit)',
  },
];

/** The name a resource has in an environment: production as the guides write it, staging with `-staging`. */
export function nameIn(environment: 'production' | 'staging', name: string): string {
  return environment === 'production' ? name : `${name}-staging`;
}
