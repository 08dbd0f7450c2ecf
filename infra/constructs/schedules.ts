import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnRule, EventField, Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { CloudWatchLogGroup, LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { healthEvent, opsSummaryEvent, releaseEvent, scheduledJobEvent } from '../../src/events/curator-events.js';
import { realtimeEventPattern } from '../../src/requests/request-contract.js';
import { opsSummary, pipelinesOfRule, quietHoursRelease, ruleName, rules, toAwsCron, type Environment, type RuleSlug } from '../../src/pipelines/index.js';

/** Props of {@link PipelineSchedules}. */
export interface PipelineSchedulesProps {
  readonly environment: Environment;
  readonly curator: IFunction;
  /** The morning ops summary's own function. */
  readonly opsSummary: IFunction;
  readonly deadLetterQueue: IQueue;
}

/**
 * The eight EventBridge rules of the catalog on the default bus, `storytailor-{slug}-{env}`. A scheduled rule hands
 * the curator an EventBridge-shaped event with `detail.jobType` and the firing's own `time` and `id`; the realtime
 * rule hands over the app's event as it came. Each rule also logs what it delivers to
 * `/aws/events/storytailor-{slug}-{env}`. Beside the rules, EventBridge Scheduler runs the health job every 15
 * minutes (it publishes MissedRuns) and the morning ops summary at 09:00 UTC.
 */
export class PipelineSchedules extends Construct {
  public readonly rules: Readonly<Record<RuleSlug, Rule>>;

  constructor(scope: Construct, id: string, props: PipelineSchedulesProps) {
    super(scope, id);
    const made: Partial<Record<RuleSlug, Rule>> = {};
    for (const slug of Object.keys(rules) as RuleSlug[]) {
      const name = ruleName(props.environment, slug);
      const { trigger, description } = rules[slug];
      const rule = new Rule(this, slug, {
        ruleName: name,
        description,
        ...(trigger.kind === 'schedule'
          ? { schedule: Schedule.expression(toAwsCron(trigger.schedule)) }
          : { eventPattern: { source: realtimeEventPattern().$or.flatMap((branch) => branch.source as string[]) } }),
      });
      // The CDK's EventPattern has no `$or`: the request contract's pattern, one branch per sender, goes in as written.
      if (trigger.kind === 'event') (rule.node.defaultChild as CfnRule).addPropertyOverride('EventPattern', realtimeEventPattern());
      const [jobType] = pipelinesOfRule(slug);
      const event =
        trigger.kind === 'schedule'
          ? RuleTargetInput.fromObject(scheduledJobEvent({ jobType: jobType!, time: EventField.time, id: EventField.eventId, version: true }))
          : undefined;
      rule.addTarget(
        new LambdaFunction(props.curator, {
          ...(event ? { event } : {}),
          retryAttempts: 2,
          maxEventAge: Duration.hours(2),
          deadLetterQueue: props.deadLetterQueue,
        }),
      );
      const logs = new LogGroup(this, `${slug}-logs`, {
        logGroupName: `/aws/events/${name}`,
        retention: RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      rule.addTarget(new CloudWatchLogGroup(logs));
      made[slug] = rule;
    }
    this.rules = made as Record<RuleSlug, Rule>;

    const invoker = new Role(this, 'HealthInvoker', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Lets EventBridge Scheduler run the curator health job, the quiet-hours release and the morning ops summary',
    });
    invoker.addToPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.curator.functionArn, props.opsSummary.functionArn] }));
    new CfnSchedule(this, 'Health', {
      name: `storytailor-health-${props.environment}`,
      description: 'The curator health job: runs, stuck runs and missed scheduled runs (MissedRuns)',
      scheduleExpression: 'rate(15 minutes)',
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: props.curator.functionArn,
        roleArn: invoker.roleArn,
        input: JSON.stringify(healthEvent()),
        retryPolicy: { maximumRetryAttempts: 0 },
        deadLetterConfig: { arn: props.deadLetterQueue.queueArn },
      },
    });
    // The morning ops summary. Its input carries the schedule's own time, so a retry or a redelivery summarises the
    // same day (and the job sends it once); a refused send is retried twice.
    new CfnSchedule(this, 'OpsSummary', {
      name: `storytailor-ops-summary-${props.environment}`,
      description: opsSummary.description,
      scheduleExpression: toAwsCron(opsSummary.schedule),
      scheduleExpressionTimezone: 'UTC',
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: props.opsSummary.functionArn,
        roleArn: invoker.roleArn,
        input: JSON.stringify(opsSummaryEvent('<aws.scheduler.scheduled-time>')),
        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3_600 },
        deadLetterConfig: { arn: props.deadLetterQueue.queueArn },
      },
    });
    // The quiet-hours release: sends what quiet hours held once the family's window ends. Every 15 minutes, as zones
    // with :30 and :45 offsets need; its input carries the Scheduler's execution id, which names its run. A retry may
    // carry another id and take runs of its own: each held email is claimed once, so nothing goes twice.
    new CfnSchedule(this, 'QuietHoursRelease', {
      name: `storytailor-quiet-hours-release-${props.environment}`,
      description: quietHoursRelease.description,
      scheduleExpression: `rate(${quietHoursRelease.rateMinutes} minutes)`,
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: props.curator.functionArn,
        roleArn: invoker.roleArn,
        input: JSON.stringify(releaseEvent('<aws.scheduler.execution-id>')),
        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 600 },
        deadLetterConfig: { arn: props.deadLetterQueue.queueArn },
      },
    });
    props.deadLetterQueue.grantSendMessages(invoker);
  }
}
