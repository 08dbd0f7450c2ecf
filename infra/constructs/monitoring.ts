import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Dashboard, GraphWidget, GraphWidgetView, MathExpression, Metric, TextWidget, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { AlertRoutes } from '../../src/settings/environment-settings.js';
import { AlertRouting } from './alert-routing.js';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CfnQueryDefinition } from 'aws-cdk-lib/aws-logs';
import { alarmDescription } from '../../src/metrics/alarm-table.js';
import { alarms, nameIn, pageTestAlarmName, rateExpression, severities, topicOf, type AlarmDefinition, type AlertTopic, type MetricRead, type Severity } from '../../src/metrics/alarms.js';
import { guideLogQueries } from '../../src/metrics/log-queries.js';
import { Namespace } from '../../src/metrics/catalog.js';
import { VetoReason, vetoReasonsInOrder } from '../../src/curator/verdict.js';
import { jobTypes, pipelineOf, ruleName, type Environment } from '../../src/pipelines/index.js';
import { stripeWebhookFunctionName } from '../../src/pipelines/parameters.js';

/** Props of {@link Monitoring}. */
export interface MonitoringProps {
  readonly environment: Environment;
  readonly curator: IFunction;
  readonly curatorName: string;
  /** The curator's log group, which the guide's Logs Insights queries read. */
  readonly curatorLogGroupName: string;
  readonly deadLetterQueue: IQueue;
  /** The curator's reserved concurrency (cdk.json), which the capacity warning reads a share of. */
  readonly reservedConcurrency: number;
  /** Where each severity's topic reaches a person (cdk.json `alertRoutes`). */
  readonly routes: AlertRoutes;
}

/** The topic of each role, as the guides name it (the P2 topic is ours: the guides put P2 with the warnings). */
export const alertTopicNames: Readonly<Record<AlertTopic, string>> = {
  critical: 'storytailor-critical-alerts',
  'business-hours': 'storytailor-business-hours-alerts',
  warning: 'storytailor-warning-alerts',
};

/**
 * The three alert topics and where each reaches a person (alert-routing.ts), every alarm of the alarm table
 * (src/metrics/alarms.ts) on the topic of its severity, one page-test alarm per severity, the
 * `Storytailor-Pipelines` dashboard and the monitoring guide's four Logs Insights queries
 * (src/metrics/log-queries.ts). Names are the guides' in production and end in `-staging` in staging.
 */
export class Monitoring extends Construct {
  public readonly topics: Readonly<Record<AlertTopic, Topic>>;
  public readonly alarms: readonly Alarm[];
  public readonly pageTests: Readonly<Record<Severity, Alarm>>;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { environment } = props;
    const key = new Key(this, 'TopicKey', { enableKeyRotation: true, description: 'Encrypts the Storytailor alert topics' });
    // CloudWatch alarms publish to encrypted topics only when the key lets them.
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    const topic = (id: string, role: AlertTopic) => new Topic(this, id, { topicName: nameIn(environment, alertTopicNames[role]), masterKey: key, enforceSSL: true });
    this.topics = { critical: topic('Critical', 'critical'), 'business-hours': topic('BusinessHours', 'business-hours'), warning: topic('Warning', 'warning') };
    new AlertRouting(this, 'Routes', { environment, topics: this.topics, routes: props.routes });
    // An alarm notifies its topic when it fires and when it clears: PagerDuty resolves the incident on the OK.
    const notify = (alarm: Alarm, severity: Severity) => {
      const action = new SnsAction(this.topics[topicOf(severity)]);
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    };

    const metricOf = ({ metric, statistic }: MetricRead, period: Duration, label?: string): Metric => {
      const common = { statistic, period, ...(label === undefined ? {} : { label }) };
      if ('resource' in metric) {
        const { resource } = metric;
        const dimensionsMap: Record<string, string> =
          resource === 'curator-function'
            ? { FunctionName: props.curatorName }
            : resource === 'stripe-webhook-function'
              ? { FunctionName: stripeWebhookFunctionName(environment) }
              : resource === 'dead-letter-queue'
              ? { QueueName: props.deadLetterQueue.queueName }
              : { RuleName: ruleName(environment, resource.rule) };
        return new Metric({ namespace: metric.namespace, metricName: metric.name, dimensionsMap, ...common });
      }
      return new Metric({ namespace: metric.namespace, metricName: metric.name, dimensionsMap: { ...metric.dimensions }, ...common });
    };
    const watched = (definition: AlarmDefinition): IMetric => {
      const period = Duration.seconds(definition.periodSeconds);
      if (definition.kind === 'metric') return metricOf(definition, period);
      const terms = { ...definition.rate.numerator, ...definition.rate.denominator };
      return new MathExpression({
        expression: rateExpression(definition),
        usingMetrics: Object.fromEntries(Object.entries(terms).map(([id, read]) => [id, metricOf(read, period)])),
        label: `${definition.rate.label} (%)`,
        period,
      });
    };
    const thresholdOf = ({ threshold }: AlarmDefinition): number =>
      typeof threshold === 'number' ? threshold : Math.floor((props.reservedConcurrency * threshold.percentOfReservedConcurrency) / 100);

    this.alarms = alarms.map((definition) => {
      const alarm = new Alarm(this, definition.name, {
        alarmName: nameIn(environment, definition.name),
        alarmDescription: alarmDescription(definition),
        metric: watched(definition),
        threshold: thresholdOf(definition),
        evaluationPeriods: definition.evaluationPeriods,
        comparisonOperator: definition.comparison === 'greater' ? ComparisonOperator.GREATER_THAN_THRESHOLD : ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: definition.missingData === 'breaching' ? TreatMissingData.BREACHING : TreatMissingData.NOT_BREACHING,
      });
      notify(alarm, definition.severity);
      return alarm;
    });
    const pageTest = (severity: Severity) => {
      const alarm = new Alarm(this, `PageTest${severity}`, {
        alarmName: nameIn(environment, pageTestAlarmName(severity)),
        alarmDescription: `${severity} test: set to ALARM and back to OK by \`npm run ops -- page-test --severity ${severity}\`, to prove the route reaches a person. Runbook: runbooks/monitoring.md#testing-the-path`,
        metric: new Metric({ namespace: Namespace.Pipelines, metricName: 'PageTest', dimensionsMap: { Severity: severity }, statistic: 'Maximum', period: Duration.minutes(5) }),
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      notify(alarm, severity);
      return alarm;
    };
    this.pageTests = Object.fromEntries(severities.map((severity) => [severity, pageTest(severity)])) as Record<Severity, Alarm>;

    // The monitoring guide's Logs Insights queries, saved where on-call opens Logs Insights.
    guideLogQueries.forEach(({ name, query }, index) => {
      new CfnQueryDefinition(this, `LogQuery${index + 1}`, {
        name: `${nameIn(environment, 'Storytailor')}/${name}`,
        queryString: query,
        logGroupNames: [props.curatorLogGroupName],
      });
    });

    const hour = Duration.hours(1);
    const byPipeline = (name: string, statistic: string, period = hour) =>
      jobTypes.map(
        (jobType) =>
          new Metric({ namespace: Namespace.Pipelines, metricName: name, dimensionsMap: { PipelineType: jobType }, statistic, period, label: jobType }),
      );
    // One expression per email type over the webhook's typed counts; ids are the metric's initial and the type.
    const emailTypes = jobTypes.flatMap((jobType) => pipelineOf(jobType).emailType ?? []);
    const byEmailType = (expression: (type: string) => string, terms: Readonly<Record<string, string>>) =>
      emailTypes.map(
        (type) =>
          new MathExpression({
            expression: expression(type),
            label: type,
            period: Duration.days(1),
            usingMetrics: Object.fromEntries(
              Object.entries(terms).map(([id, name]) => [
                `${id}_${type}`,
                new Metric({ namespace: Namespace.Email, metricName: name, dimensionsMap: { EmailType: type }, statistic: 'Sum', period: Duration.days(1) }),
              ]),
            ),
          }),
      );
    const lambda = (name: string, statistic: string) =>
      new Metric({ namespace: 'AWS/Lambda', metricName: name, dimensionsMap: { FunctionName: props.curatorName }, statistic, period: Duration.minutes(5) });
    new Dashboard(this, 'Dashboard', {
      dashboardName: nameIn(environment, 'Storytailor-Pipelines'),
      defaultInterval: Duration.hours(24),
      widgets: [
        [new TextWidget({ markdown: '# Storytailor pipelines\nRunbook: runbooks/monitoring.md · Ops: `npm run ops -- switches`', width: 24, height: 2 })],
        [
          new GraphWidget({ title: 'Executions by type', left: byPipeline('PipelineExecutions', 'Sum'), stacked: true, width: 12 }),
          new GraphWidget({ title: 'Veto rate (%)', left: byPipeline('VetoRate', 'Average'), width: 12 }),
        ],
        [
          new GraphWidget({
            title: 'Veto reasons (24 h)',
            view: GraphWidgetView.PIE,
            left: vetoReasonsInOrder.map(
              (reason) =>
                new Metric({ namespace: Namespace.Pipelines, metricName: 'PipelineVetoes', dimensionsMap: { VetoReason: reason }, statistic: 'Sum', period: Duration.hours(24), label: reason }),
            ),
            width: 12,
          }),
          new GraphWidget({ title: 'SLA violations', view: GraphWidgetView.BAR, left: byPipeline('SLAViolations', 'Sum'), width: 12 }),
        ],
        [
          new GraphWidget({
            title: 'Email delivery',
            left: [
              new Metric({ namespace: Namespace.Pipelines, metricName: 'EmailsSent', statistic: 'Sum', period: hour, label: 'sent' }),
              new Metric({ namespace: Namespace.Pipelines, metricName: 'EmailDeliveryFailure', statistic: 'Sum', period: hour, label: 'failed' }),
              new Metric({ namespace: Namespace.Email, metricName: 'Bounces', statistic: 'Sum', period: hour, label: 'bounces' }),
              new Metric({ namespace: Namespace.Email, metricName: 'Unsubscribes', statistic: 'Sum', period: hour, label: 'unsubscribes' }),
            ],
            width: 12,
          }),
          new GraphWidget({
            title: 'Crisis escalations, budget, missed runs',
            left: ['CrisisEscalations', 'BudgetExceeded', 'MissedRuns'].map(
              (name) => new Metric({ namespace: Namespace.Pipelines, metricName: name, statistic: name === 'MissedRuns' ? 'Maximum' : 'Sum', period: hour, label: name }),
            ),
            width: 12,
          }),
        ],
        [
          new GraphWidget({ title: 'Delivered by email type (per day)', left: byEmailType((type) => `FILL(d_${type}, 0)`, { d: 'EmailsDelivered' }), stacked: true, width: 12 }),
          new GraphWidget({ title: 'Open rate by email type (%, first opens / deliveries, per day)', left: byEmailType((type) => `100 * FILL(o_${type}, 0) / d_${type}`, { o: 'EmailOpens', d: 'EmailsDelivered' }), width: 12 }),
        ],
        [
          new GraphWidget({ title: 'Unsubscribe rate by email type (%, per day)', left: byEmailType((type) => `100 * FILL(u_${type}, 0) / d_${type}`, { u: 'Unsubscribes', d: 'EmailsDelivered' }), width: 12 }),
          new GraphWidget({ title: 'Bounce rate by email type (%, per day)', left: byEmailType((type) => `100 * FILL(b_${type}, 0) / (d_${type} + FILL(b_${type}, 0))`, { b: 'Bounces', d: 'EmailsDelivered' }), width: 12 }),
        ],
        [
          new GraphWidget({
            title: 'Credits: issued and applied by Stripe invoices (per day)',
            left: ['CreditsIssued', 'CreditsApplied'].map(
              (name) => new Metric({ namespace: Namespace.Pipelines, metricName: name, statistic: 'Sum', period: Duration.days(1), label: name }),
            ),
            width: 12,
          }),
          new GraphWidget({
            title: 'Stripe webhook: refused, errors, events ignored (per hour)',
            left: [
              new Metric({ namespace: Namespace.Pipelines, metricName: 'StripeWebhookRefused', statistic: 'Sum', period: hour, label: 'refused (not signed for the endpoint)' }),
              new Metric({ namespace: 'AWS/Lambda', metricName: 'Errors', dimensionsMap: { FunctionName: stripeWebhookFunctionName(environment) }, statistic: 'Sum', period: hour, label: 'errors' }),
              new Metric({ namespace: Namespace.Pipelines, metricName: 'StripeEventsIgnored', statistic: 'Sum', period: hour, label: 'events for customers never credited' }),
            ],
            width: 12,
          }),
        ],
        [
          new GraphWidget({
            title: 'Quiet hours: emails held, released, superseded (per hour)',
            left: [
              new Metric({ namespace: Namespace.Pipelines, metricName: 'PipelineVetoes', dimensionsMap: { VetoReason: VetoReason.QUIET_HOURS }, statistic: 'Sum', period: hour, label: 'held (QUIET_HOURS)' }),
              new Metric({ namespace: Namespace.Pipelines, metricName: 'QuietHoursReleased', statistic: 'Sum', period: hour, label: 'released' }),
              new Metric({ namespace: Namespace.Pipelines, metricName: 'QuietHoursSuperseded', statistic: 'Sum', period: hour, label: 'superseded (next firing came first)' }),
            ],
            width: 24,
          }),
        ],
        [
          new GraphWidget({ title: 'Lambda errors and throttles', left: [lambda('Errors', 'Sum'), lambda('Throttles', 'Sum')], width: 12 }),
          new GraphWidget({ title: 'Lambda duration (p50, p95, p99)', left: [lambda('Duration', 'p50'), lambda('Duration', 'p95'), lambda('Duration', 'p99')], width: 12 }),
        ],
      ],
    });
  }
}
