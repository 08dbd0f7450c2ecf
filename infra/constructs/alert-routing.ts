import { SecretValue, Validations } from 'aws-cdk-lib';
import { LoggingLevel, SlackChannelConfiguration } from 'aws-cdk-lib/aws-chatbot';
import { ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SubscriptionProtocol, type ITopic } from 'aws-cdk-lib/aws-sns';
import { UrlSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { AlertTopic } from '../../src/metrics/alarms.js';
import { nameIn } from '../../src/metrics/alarms.js';
import type { Environment } from '../../src/pipelines/index.js';
import type { AlertRoutes } from '../../src/settings/environment-settings.js';

/** Props of {@link AlertRouting}. */
export interface AlertRoutingProps {
  readonly environment: Environment;
  readonly topics: Readonly<Record<AlertTopic, ITopic>>;
  /** cdk.json `alertRoutes`: production has them all (the settings refuse it otherwise). */
  readonly routes: AlertRoutes;
}

/**
 * Where each alert topic reaches a person. P1 (`storytailor-critical-alerts`) and P2
 * (`storytailor-business-hours-alerts`) go to two PagerDuty services through their CloudWatch integration: an HTTPS
 * subscription whose endpoint (the URL holds the integration key) is a Secrets Manager reference resolved at deploy,
 * so no key is in the template. P3 (`storytailor-warning-alerts`) goes to a Slack channel through AWS Chatbot, whose
 * guardrail lets anyone in the channel read alarms and metrics and nothing else. A route cdk.json leaves out is left
 * out here (staging only).
 */
export class AlertRouting extends Construct {
  public readonly slack: SlackChannelConfiguration | null;

  constructor(scope: Construct, id: string, props: AlertRoutingProps) {
    super(scope, id);
    const { routes, topics, environment } = props;
    const pagerDuty = (topic: ITopic, secretName: string | undefined) => {
      if (secretName === undefined) return;
      // PagerDuty confirms the subscription itself and reads CloudWatch's alarm payload (not raw delivery).
      topic.addSubscription(new UrlSubscription(SecretValue.secretsManager(secretName).unsafeUnwrap(), { protocol: SubscriptionProtocol.HTTPS }));
    };
    pagerDuty(topics.critical, routes.pagerDutyUrgentSecret);
    pagerDuty(topics['business-hours'], routes.pagerDutyBusinessHoursSecret);

    this.slack = null;
    if (routes.slackWorkspaceId === undefined || routes.slackChannelId === undefined) return;
    const guardrail = new ManagedPolicy(this, 'ChatbotGuardrail', {
      managedPolicyName: `storytailor-chatbot-guardrail-${environment}`,
      description: 'What the Storytailor warning channel may do through Chatbot: read alarms and metrics, nothing else',
      statements: [
        new PolicyStatement({
          sid: 'ReadAlarmsAndMetrics',
          actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory', 'cloudwatch:GetMetricData', 'cloudwatch:GetMetricStatistics', 'cloudwatch:GetMetricWidgetImage', 'cloudwatch:ListMetrics'],
          resources: ['*'],
        }),
      ],
    });
    Validations.of(guardrail).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'CloudWatch metric reads (GetMetricData, ListMetrics, GetMetricWidgetImage) have no resource-level permissions; the actions are read-only.',
    });
    const role = new Role(this, 'ChatbotRole', {
      assumedBy: new ServicePrincipal('chatbot.amazonaws.com'),
      description: 'Lets Chatbot render the Storytailor warning alarms in Slack',
      managedPolicies: [guardrail],
    });
    this.slack = new SlackChannelConfiguration(this, 'Slack', {
      slackChannelConfigurationName: nameIn(environment, 'storytailor-warning-alerts'),
      slackWorkspaceId: routes.slackWorkspaceId,
      slackChannelId: routes.slackChannelId,
      notificationTopics: [topics.warning],
      guardrailPolicies: [guardrail],
      role,
      loggingLevel: LoggingLevel.ERROR,
    });
  }
}
