import { readFileSync } from 'node:fs';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.js';
import { alarmDescription } from '../../src/metrics/alarm-table.js';
import { alarms, pageTestAlarmName, rateExpression, severities, topicOf, type AlarmDefinition } from '../../src/metrics/alarms.js';
import { killSwitchPath, killSwitchSlugs, pipelinesOfRule, rules, toAwsCron, type RuleSlug } from '../../src/pipelines/index.js';

const context = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }).context;
let template: Template;
let staging: Template;

beforeAll(() => {
  const production = buildApp({ ...context, env: 'production' });
  // Synthesis runs cdk-nag: an unacknowledged finding throws here.
  production.app.synth();
  template = Template.fromStack(production.stack);
  const other = buildApp({ ...context, env: 'staging' });
  staging = Template.fromStack(other.stack);
}, 120_000);

describe('where every alarm reaches a person', () => {
  const production = context['storytailor:production'] as { alertRoutes: Record<string, string> };
  const topicArn = (id: string) => ({ Ref: Match.stringLikeRegexp(`^${id}[0-9A-F]{8}$`) });

  it('has a topic per severity, each with its route: PagerDuty for P1 and P2 by a secret resolved at deploy, Slack for P3', () => {
    for (const name of ['storytailor-critical-alerts', 'storytailor-business-hours-alerts', 'storytailor-warning-alerts']) {
      template.hasResourceProperties('AWS::SNS::Topic', { TopicName: name, KmsMasterKeyId: Match.anyValue() });
    }
    template.resourceCountIs('AWS::SNS::Subscription', 2);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'https',
      TopicArn: topicArn('MonitoringCritical'),
      Endpoint: `{{resolve:secretsmanager:${production.alertRoutes.pagerDutyUrgentSecret}:SecretString:::}}`,
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'https',
      TopicArn: topicArn('MonitoringBusinessHours'),
      Endpoint: `{{resolve:secretsmanager:${production.alertRoutes.pagerDutyBusinessHoursSecret}:SecretString:::}}`,
    });
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      ConfigurationName: 'storytailor-warning-alerts',
      SlackWorkspaceId: production.alertRoutes.slackWorkspaceId,
      SlackChannelId: production.alertRoutes.slackChannelId,
      SnsTopicArns: [topicArn('MonitoringWarning')],
      GuardrailPolicies: [{ Ref: Match.stringLikeRegexp('ChatbotGuardrail') }],
      LoggingLevel: 'ERROR',
    });
    // The guardrail reads alarms and metrics; nothing in the channel can change anything.
    const [guardrail] = Object.values(template.findResources('AWS::IAM::ManagedPolicy', { Properties: { ManagedPolicyName: 'storytailor-chatbot-guardrail-production' } })) as Array<{
      Properties: { PolicyDocument: { Statement: Array<{ Action: string[] }> } };
    }>;
    const actions = guardrail!.Properties.PolicyDocument.Statement.flatMap((statement) => statement.Action);
    expect(actions.every((action) => /^cloudwatch:(Describe|Get|List)/.test(action))).toBe(true);
    expect(JSON.stringify(template.toJSON())).not.toContain('AdministratorAccess');
  });

  it('holds no PagerDuty key: the endpoints are references, resolved only at deploy', () => {
    const text = JSON.stringify(template.toJSON());
    expect(text).not.toMatch(/events\.pagerduty\.com|integration\/[0-9a-f]{32}/);
    for (const subscription of Object.values(template.findResources('AWS::SNS::Subscription'))) {
      expect(String((subscription as { Properties: { Endpoint: unknown } }).Properties.Endpoint)).toMatch(/^\{\{resolve:secretsmanager:/);
    }
  });

  it('has one page-test alarm per severity on its topic, which only on-call may set, and nothing else', () => {
    const logicalId = { P1: 'MonitoringCritical', P2: 'MonitoringBusinessHours', P3: 'MonitoringWarning' } as const;
    for (const severity of severities) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: pageTestAlarmName(severity),
        AlarmActions: [topicArn(logicalId[severity])],
        OKActions: [topicArn(logicalId[severity])],
        TreatMissingData: 'notBreaching',
      });
    }
    const [policy] = Object.values(template.findResources('AWS::IAM::ManagedPolicy', { Properties: { ManagedPolicyName: 'storytailor-curator-on-call-production' } })) as Array<{
      Properties: { PolicyDocument: { Statement: Array<{ Sid: string; Action: string[]; Resource: unknown[] }> } };
    }>;
    const test = policy!.Properties.PolicyDocument.Statement.find((statement) => statement.Sid === 'TestThePagingPath')!;
    expect(test.Action).toEqual(['cloudwatch:SetAlarmState', 'cloudwatch:DescribeAlarms']);
    expect(test.Resource).toHaveLength(3);
    expect(JSON.stringify(test.Resource)).toMatch(/PageTestP1/);
  });

  it('refuses a production synth that leaves a route out, naming it; staging may run without', () => {
    const { alertRoutes, ...withoutRoutes } = production;
    void alertRoutes;
    expect(() => buildApp({ ...context, env: 'production', 'storytailor:production': { ...withoutRoutes, alertRoutes: { slackWorkspaceId: 'T07STRYTLR' } } })).toThrow(
      /alertRoutes is missing pagerDutyUrgentSecret \(P1 -> PagerDuty \(high urgency\)\), pagerDutyBusinessHoursSecret \(P2 -> PagerDuty \(support hours\)\), slackChannelId \(P3 -> Slack \(channel\)\)/,
    );
    staging.resourceCountIs('AWS::SNS::Subscription', 0);
    staging.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 1);
  });
});

describe('the curator stack', () => {
  it('has the eight rules with their exact names, schedules and event pattern, one branch per sender', () => {
    template.resourceCountIs('AWS::Events::Rule', 8);
    // The app may send only its signals of the four realtime pipelines; ops only replays; the guide's test only health.
    const perSender = {
      $or: [
        {
          source: ['storytailor.agent'],
          'detail-type': ['Emotional Signal'],
          detail: { jobType: ['crisis_alert', 'early_intervention', 'story_failure', 'asset_timeout'] },
        },
        {
          source: ['storytailor.manual'],
          'detail-type': ['retry'],
          detail: {
            jobType: ['daily_digest', 'weekly_insights', 'story_scoring', 'referral_rewards', 'expire_credits', 'org_health_report', 'data_retention', 'crisis_alert', 'early_intervention', 'story_failure', 'asset_timeout'],
          },
        },
        { source: ['storytailor.health-check'], detail: { jobType: ['health'] } },
      ],
    };
    for (const [slug, rule] of Object.entries(rules)) {
      const expected = rule.trigger.kind === 'schedule' ? { ScheduleExpression: toAwsCron(rule.trigger.schedule) } : { EventPattern: perSender };
      template.hasResourceProperties('AWS::Events::Rule', { Name: `storytailor-${slug}-production`, State: 'ENABLED', ...expected });
    }
    template.hasResourceProperties('AWS::Events::Rule', { Name: 'storytailor-org-health-reports-production', ScheduleExpression: 'cron(0 9 ? * MON#1 *)' });
  });

  it('hands each scheduled firing to the curator as an EventBridge event with its jobType, time and id, with retries and a DLQ', () => {
    for (const [slug, rule] of Object.entries(rules)) {
      if (rule.trigger.kind !== 'schedule') continue;
      const [jobType] = pipelinesOfRule(slug as RuleSlug);
      template.hasResourceProperties('AWS::Events::Rule', {
        Name: `storytailor-${slug}-production`,
        Targets: Match.arrayWith([
          Match.objectLike({
            InputTransformer: {
              InputPathsMap: { id: '$.id', time: '$.time' },
              // EventBridge fills <id> and <time> with the firing's own, quoted.
              InputTemplate: `{"version":"0","id":<id>,"source":"storytailor.scheduler","detail-type":"Scheduled Job","time":<time>,"detail":{"jobType":"${jobType}"}}`,
            },
            RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 7200 },
            DeadLetterConfig: { Arn: Match.anyValue() },
          }),
        ]),
      });
    }
  });

  it('logs every rule to /aws/events/storytailor-{slug}-{env}', () => {
    for (const slug of Object.keys(rules)) {
      template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: `/aws/events/storytailor-${slug}-production` });
    }
  });

  it('runs the curator as the design sizes it', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'storytailor-intelligence-curator-production',
      MemorySize: 512,
      Timeout: 300,
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      ReservedConcurrentExecutions: 20,
      LoggingConfig: { LogGroup: Match.anyValue() },
      Environment: {
        Variables: Match.objectLike({
          CURATOR_ENV: 'production',
          CURATOR_SWITCH_SOURCE: 'ssm',
          SENDGRID_API_KEY_SECRET_ARN: Match.anyValue(),
          STRIPE_SECRET_KEY_SECRET_ARN: Match.anyValue(),
          SUPABASE_SERVICE_ROLE_KEY_SECRET_ARN: Match.anyValue(),
        }),
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/lambda/storytailor-intelligence-curator-production', RetentionInDays: 90 });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it('continues long runs and runs shards through a work queue whose concurrency stays below the reserved concurrency', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'storytailor-curator-work-production', RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }) });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1,
      ScalingConfig: { MaximumConcurrency: 5 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'storytailor-intelligence-curator-production',
      RecursiveLoop: 'Allow',
      ReservedConcurrentExecutions: 20,
      Environment: { Variables: Match.objectLike({ CURATOR_WORK_QUEUE_URL: Match.anyValue(), CURATOR_SHARD_SIZE: '50000' }) },
    });
  });

  it('refuses a work concurrency that would leave realtime signals no invocation', () => {
    const production = context['storytailor:production'] as Record<string, unknown>;
    expect(() => buildApp({ ...context, env: 'production', 'storytailor:production': { ...production, workConcurrency: 20 } })).toThrow(
      /workConcurrency must stay below reservedConcurrency/,
    );
  });

  it('keeps secrets in Secrets Manager, never in the template', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 5);
    const variables = JSON.stringify(template.findResources('AWS::Lambda::Function'));
    expect(variables).not.toMatch(/SENDGRID_API_KEY"|STRIPE_SECRET_KEY"|STRIPE_WEBHOOK_SECRET"|SUPABASE_SERVICE_ROLE_KEY"/);
  });

  it('creates the thirteen kill switches only when absent', () => {
    const switches = Object.values(template.findResources('Custom::AWS')).map((resource) => JSON.stringify(resource.Properties));
    for (const slug of killSwitchSlugs()) {
      const create = switches.find((properties) => properties.includes(killSwitchPath('production', slug)));
      expect(create, slug).toBeDefined();
      expect(create).toContain('\\"Overwrite\\":false');
      expect(create).toContain('ParameterAlreadyExists');
      expect(create).not.toContain('onUpdate');
    }
  });

  it('serves the SendGrid webhook from a function URL checked by the handler, not by IAM', () => {
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'storytailor-sendgrid-webhook-production' });
  });

  it("lets the webhook's complaint breaker put exactly the email pipelines' own switches, and page through its alarm", () => {
    const webhookRole = Object.entries(template.findResources('AWS::IAM::Role')).find(([id]) => id.startsWith('SendGridWebhookFunctionServiceRole'))![0];
    const [policy] = Object.values(template.findResources('AWS::IAM::Policy')).filter((resource) =>
      JSON.stringify((resource as { Properties: { Roles: unknown } }).Properties.Roles).includes(webhookRole),
    ) as Array<{ Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown; Sid?: string }> } } }>;
    const statements = policy!.Properties.PolicyDocument.Statement;
    const puts = statements.filter((statement) => [statement.Action].flat().some((action) => action.startsWith('ssm:Put')));
    expect(puts).toHaveLength(1);
    const putResources = JSON.stringify(puts[0]!.Resource);
    const emailSlugs = ['daily-digest', 'weekly-insights', 'org-health-reports', 'early-intervention', 'story-failure', 'asset-timeout'];
    expect((puts[0]!.Resource as unknown[]).length).toBe(emailSlugs.length);
    for (const slug of emailSlugs) expect(putResources).toContain(`:parameter${killSwitchPath('production', slug)}"`);
    for (const slug of killSwitchSlugs().filter((slug) => !emailSlugs.includes(slug))) {
      expect(putResources).not.toContain(`${killSwitchPath('production', slug)}"`);
    }
    expect(putResources).not.toContain('*');
    // Its page is the alarm on BreakerTrips: it publishes to no topic itself.
    expect(statements.find((statement) => [statement.Action].flat().includes('sns:Publish'))).toBeUndefined();
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'storytailor-sendgrid-webhook-production',
      Environment: { Variables: Match.objectLike({ CURATOR_SWITCH_SOURCE: 'ssm' }) },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'storytailor-complaint-breaker', MetricName: 'BreakerTrips', Namespace: 'Storytailor/Email', Threshold: 0 });
  });

  it('lets the webhook queue the replay of what it settles failed on the work queue alone, with the grace window of the settings', () => {
    const webhookRole = Object.entries(template.findResources('AWS::IAM::Role')).find(([id]) => id.startsWith('SendGridWebhookFunctionServiceRole'))![0];
    const statements = (
      Object.values(template.findResources('AWS::IAM::Policy')).filter((resource) =>
        JSON.stringify((resource as { Properties: { Roles: unknown } }).Properties.Roles).includes(webhookRole),
      ) as Array<{ Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> } } }>
    ).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const sends = statements.filter((statement) => [statement.Action].flat().includes('sqs:SendMessage'));
    expect(sends).toHaveLength(1);
    const workQueue = Object.keys(template.findResources('AWS::SQS::Queue')).find((id) => id.startsWith('CuratorWork'))!;
    expect(sends[0]!.Resource).toEqual({ 'Fn::GetAtt': [workQueue, 'Arn'] });
    expect(statements.filter((statement) => [statement.Action].flat().some((action) => action.startsWith('sqs:Receive')))).toEqual([]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'storytailor-sendgrid-webhook-production',
      Environment: { Variables: Match.objectLike({ CURATOR_WORK_QUEUE_URL: { Ref: workQueue }, CURATOR_EVIDENCE_GRACE_MINUTES: '30' }) },
    });
  });

  it("serves Stripe's webhook from its own function URL, reading its signing secret and the database key, and nothing else", () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'storytailor-stripe-webhook-production',
      Environment: { Variables: Match.objectLike({ STRIPE_WEBHOOK_SECRET_ARN: Match.anyValue(), CURATOR_METRICS: 'cloudwatch' }) },
    });
    const role = Object.entries(template.findResources('AWS::IAM::Role')).find(([id]) => id.startsWith('StripeWebhookFunctionServiceRole'))![0];
    const urls = Object.values(template.findResources('AWS::Lambda::Url')).filter((url) => JSON.stringify(url.Properties).includes('StripeWebhookFunction'));
    expect(urls).toHaveLength(1);
    expect(urls[0]!.Properties.AuthType).toBe('NONE');
    const statements = (
      Object.values(template.findResources('AWS::IAM::Policy')).filter((resource) =>
        JSON.stringify((resource as { Properties: { Roles: unknown } }).Properties.Roles).includes(role),
      ) as Array<{ Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown; Condition?: unknown }> } } }>
    ).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((statement) => [statement.Action].flat()).sort();
    // X-Ray's two writes come with tracing, on for every function of the stack.
    expect([...new Set(actions)]).toEqual(['cloudwatch:PutMetricData', 'secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    const secrets = Object.keys(template.findResources('AWS::SecretsManager::Secret'));
    const read = statements
      .filter((statement) => [statement.Action].flat().includes('secretsmanager:GetSecretValue'))
      .flatMap((statement) => [statement.Resource].flat().map((resource) => JSON.stringify(resource)));
    const named = (prefix: string) => secrets.find((id) => id.includes(prefix))!;
    expect(read.sort()).toEqual([JSON.stringify({ Ref: named('stripewebhooksigningsecret') }), JSON.stringify({ Ref: named('supabaseservicerolekey') })].sort());
    expect(JSON.stringify(statements.find((statement) => [statement.Action].flat().includes('cloudwatch:PutMetricData'))!.Condition)).toContain('Storytailor/Pipelines');
  });

  it('grants least privilege: metrics only in its namespaces, switches only under their path', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'ssm:GetParametersByPath',
            Resource: [
              { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':parameter/storytailor-production/pipelines$')])] },
              { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':parameter/storytailor-production/pipelines/\\*$')])] },
            ],
          }),
          Match.objectLike({
            Action: 'cloudwatch:PutMetricData',
            Resource: '*',
            Condition: { StringEquals: { 'cloudwatch:namespace': ['Storytailor/Pipelines', 'Storytailor/Email'] } },
          }),
        ]),
      },
    });
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).not.toMatch(/"ssm:\*"|"secretsmanager:\*"|"cloudwatch:\*"/);
  });

  it('offers on-call one managed policy naming exactly what the ops commands touch', () => {
    const [policy] = Object.values(template.findResources('AWS::IAM::ManagedPolicy', { Properties: { ManagedPolicyName: 'storytailor-curator-on-call-production' } })) as Array<{
      Properties: { PolicyDocument: { Statement: Array<{ Sid: string; Action: string | string[]; Resource: unknown }> } };
    }>;
    const statements = Object.fromEntries(policy!.Properties.PolicyDocument.Statement.map((statement) => [statement.Sid, statement]));
    expect(Object.keys(statements).sort()).toEqual(
      ['KillSwitchesAndTunables', 'PublishReplays', 'ReachTheCurator', 'ReadTheDatabaseAndStripeKeys', 'ResetTunables', 'SearchTheCuratorLogs', 'StopAndStartTheRules', 'TestThePagingPath'].sort(),
    );
    expect(statements.KillSwitchesAndTunables!.Action).toEqual(['ssm:GetParametersByPath', 'ssm:GetParameter', 'ssm:PutParameter']);
    expect(JSON.stringify(statements.KillSwitchesAndTunables!.Resource)).toMatch(/:parameter\/storytailor-production\/pipelines\/\*"/);
    // ops tune --reset deletes threshold and cap overrides, never a kill switch.
    expect(statements.ResetTunables!.Action).toBe('ssm:DeleteParameter');
    const resettable = JSON.stringify(statements.ResetTunables!.Resource);
    expect(resettable).toContain(':parameter/storytailor-production/pipelines/*/min-confidence');
    expect(resettable).toContain(':parameter/storytailor-production/pipelines/*/email-cap-24h');
    expect(resettable).not.toContain('enabled');
    expect(statements.StopAndStartTheRules!.Resource).toHaveLength(8);
    // On-call can publish replays and the guide's health check, never an event that passes for the app's signals.
    expect(statements.PublishReplays!.Action).toBe('events:PutEvents');
    expect((statements.PublishReplays as unknown as { Condition: unknown }).Condition).toEqual({
      StringEquals: { 'events:source': ['storytailor.manual', 'storytailor.health-check'] },
    });
    expect(statements.ReachTheCurator!.Action).toEqual(['lambda:GetFunctionConfiguration', 'lambda:InvokeFunction']);
    expect(statements.ReadTheDatabaseAndStripeKeys!.Resource).toHaveLength(2);
    expect(JSON.stringify(statements.SearchTheCuratorLogs!.Resource)).toContain(':log-group:/aws/lambda/storytailor-intelligence-curator-production:*');
    // Nothing account-wide: every statement names its resources.
    for (const statement of Object.values(statements)) expect(JSON.stringify(statement.Resource), statement.Sid).not.toBe('"*"');
  });

  it('has every alarm of the table, with its threshold, window and topic: metric math where it is a rate', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', alarms.length + severities.length);
    const logicalId = { critical: 'MonitoringCritical', 'business-hours': 'MonitoringBusinessHours', warning: 'MonitoringWarning' } as const;
    const topic = (alarm: AlarmDefinition) => [{ Ref: Match.stringLikeRegexp(`^${logicalId[topicOf(alarm.severity)]}[0-9A-F]{8}$`) }];
    const comparison = (alarm: AlarmDefinition) => (alarm.comparison === 'greater' ? 'GreaterThanThreshold' : 'LessThanThreshold');
    const statistic = (stat: string) => (stat.startsWith('p') ? { ExtendedStatistic: stat } : { Statistic: stat });
    for (const alarm of alarms) {
      const threshold = typeof alarm.threshold === 'number' ? alarm.threshold : Math.floor((20 * alarm.threshold.percentOfReservedConcurrency) / 100);
      const common = {
        AlarmName: alarm.name,
        Threshold: threshold,
        EvaluationPeriods: alarm.evaluationPeriods,
        ComparisonOperator: comparison(alarm),
        AlarmActions: topic(alarm),
        OKActions: topic(alarm),
        AlarmDescription: alarmDescription(alarm),
      };
      if (alarm.kind === 'metric') {
        const dimensions = 'dimensions' in alarm.metric ? Object.keys(alarm.metric.dimensions).length : 1;
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          ...common,
          MetricName: alarm.metric.name,
          Namespace: alarm.metric.namespace,
          Period: alarm.periodSeconds,
          ...statistic(alarm.statistic),
          ...(dimensions === 0 ? {} : { Dimensions: Match.anyValue() }),
        });
        continue;
      }
      const terms = { ...alarm.rate.numerator, ...alarm.rate.denominator };
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...common,
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: rateExpression(alarm), ReturnData: true }),
          ...Object.entries(terms).map(([id, read]) =>
            Match.objectLike({
              Id: id,
              ReturnData: false,
              MetricStat: Match.objectLike({
                Metric: Match.objectLike({ MetricName: read.metric.name, Namespace: read.metric.namespace }),
                Period: alarm.periodSeconds,
                Stat: read.statistic,
              }),
            }),
          ),
        ]),
      });
    }
    // The capacity warning is a share of the environment's reserved concurrency: 80 % of production's 20.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'storytailor-curator-concurrency', Threshold: 16, MetricName: 'ConcurrentExecutions' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'storytailor-realtime-signals-failed-invocations',
      Namespace: 'AWS/Events',
      MetricName: 'FailedInvocations',
      Dimensions: [{ Name: 'RuleName', Value: 'storytailor-realtime-signals-production' }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'storytailor-crisis-sla-violations',
      Dimensions: [
        { Name: 'PipelineType', Value: 'crisis_alert' },
        { Name: 'VetoReason', Value: 'SLA_MISSED' },
      ],
    });
  });

  it('pages when the health job stops: the missed-runs alarm treats missing data as breaching, the others do not', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'storytailor-missed-runs', MetricName: 'MissedRuns', TreatMissingData: 'breaching' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'storytailor-crisis-escalations', TreatMissingData: 'notBreaching' });
  });

  it("saves the monitoring guide's four Logs Insights queries, exactly as it writes them, on the curator's log group", () => {
    const guide = readFileSync(new URL('../../docs/guides/monitoring-guide.md', import.meta.url), 'utf8');
    const section = guide.slice(guide.indexOf('## Log Queries'), guide.indexOf('## Database Monitoring'));
    const written = [...section.matchAll(/### Query \d: (.+)\n\n```\n([\s\S]*?)\n```/g)].map((match) => ({ name: match[1], query: match[2] }));
    expect(written).toHaveLength(4);
    template.resourceCountIs('AWS::Logs::QueryDefinition', 4);
    for (const { name, query } of written) {
      template.hasResourceProperties('AWS::Logs::QueryDefinition', {
        Name: `Storytailor/${name}`,
        QueryString: query,
        LogGroupNames: ['/aws/lambda/storytailor-intelligence-curator-production'],
      });
    }
  });

  it('names the topics and the dashboard as the guides do', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'storytailor-critical-alerts' });
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'storytailor-warning-alerts' });
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Storytailor-Pipelines' });
  });

  it('runs the health job every 15 minutes, so missed runs are published', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'storytailor-health-production',
      ScheduleExpression: 'rate(15 minutes)',
      Target: Match.objectLike({ Input: JSON.stringify({ detail: { jobType: 'health' } }) }),
    });
  });

  it('releases what quiet hours held every 15 minutes, invoking the curator with the Scheduler\'s execution id', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'storytailor-quiet-hours-release-production',
      ScheduleExpression: 'rate(15 minutes)',
      Target: Match.objectLike({
        Input: JSON.stringify({ detail: { jobType: 'release', releaseId: '<aws.scheduler.execution-id>' } }),
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 600 },
      }),
    });
    const [schedule] = Object.values(template.findResources('AWS::Scheduler::Schedule', { Properties: { Name: 'storytailor-quiet-hours-release-production' } })) as Array<{ Properties: { Target: { Arn: unknown } } }>;
    expect(JSON.stringify(schedule!.Properties.Target.Arn)).toMatch(/Curator/);
    // The dashboard shows what was held, released and superseded.
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as Array<{ Properties: { DashboardBody: unknown } }>;
    const body = JSON.stringify(dashboard!.Properties.DashboardBody);
    for (const shown of ['QuietHoursReleased', 'QuietHoursSuperseded', 'QUIET_HOURS']) expect(body).toContain(shown);
  });

  it('sends the morning ops summary at 09:00 UTC with the schedule time, to the ops list of cdk.json', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'storytailor-ops-summary-production',
      ScheduleExpression: 'cron(0 9 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      Target: Match.objectLike({
        Input: JSON.stringify({ detail: { jobType: 'ops_summary', scheduledTime: '<aws.scheduler.scheduled-time>' } }),
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
      }),
    });
    // Its own function, with memory of its own for the charts, which the schedule (and only it, besides on-call) invokes.
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'storytailor-ops-summary-production',
      MemorySize: 1024,
      Architectures: ['arm64'],
      Environment: { Variables: Match.objectLike({ CURATOR_OPS_SUMMARY_RECIPIENTS: 'ops-team@storytailor.com', CURATOR_SWITCH_SOURCE: 'ssm' }) },
    });
    const [schedule] = Object.values(template.findResources('AWS::Scheduler::Schedule', { Properties: { Name: 'storytailor-ops-summary-production' } })) as Array<{ Properties: { Target: { Arn: unknown } } }>;
    expect(JSON.stringify(schedule!.Properties.Target.Arn)).toMatch(/OpsSummary/);
    const curator = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'storytailor-intelligence-curator-production' } }))[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    expect(curator.Properties.Environment.Variables.CURATOR_OPS_SUMMARY_RECIPIENTS).toBeUndefined();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'storytailor-false-positive-rate-crisis-alert',
      MetricName: 'FalsePositiveRate',
      Threshold: 10,
      Dimensions: [{ Name: 'PipelineType', Value: 'crisis_alert' }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'storytailor-false-positive-rate-early-intervention', Threshold: 30 });
  });

  it('appends -staging to the guides names in staging', () => {
    staging.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'storytailor-critical-alerts-staging' });
    staging.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'storytailor-email-failure-rate-staging' });
    staging.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Storytailor-Pipelines-staging' });
    staging.hasResourceProperties('AWS::Events::Rule', { Name: 'storytailor-daily-digest-staging' });
    staging.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'storytailor-intelligence-curator-staging', ReservedConcurrentExecutions: 10 });
  });
});
