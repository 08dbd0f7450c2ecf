import { Arn, ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import type { IAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { Rule } from 'aws-cdk-lib/aws-events';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { opsEventSources } from '../../src/requests/request-contract.js';
import { parameterRoot, policyTunableNames, type Environment } from '../../src/pipelines/index.js';
import { logGroupFinding, ssmParametersFinding, ssmPathFinding } from '../acknowledgements.js';

/** Props of {@link OnCallAccess}. */
export interface OnCallAccessProps {
  readonly environment: Environment;
  readonly curator: IFunction;
  /** The morning ops summary's function, which the runbook invokes by hand when the email did not go out. */
  readonly opsSummary: IFunction;
  readonly curatorLogGroupName: string;
  readonly rules: readonly Rule[];
  /** The secrets ops reads to reach the database and to pay a manual credit. */
  readonly secrets: readonly ISecret[];
  /** The page-test alarms `ops page-test` sets to ALARM and back. */
  readonly pageTests: readonly IAlarm[];
}

/**
 * `storytailor-curator-on-call-{env}`: what `npm run ops` and the runbooks need, and nothing else, for the ops
 * team to attach to their own role — read and flip the switches under the parameter root, stop and start the eight
 * rules, publish a replay on the default bus, read the curator's configuration and invoke its health job, read the
 * Supabase and Stripe secrets, and search the curator's log group. The account's other systems are out of reach.
 */
export class OnCallAccess extends Construct {
  public readonly policy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: OnCallAccessProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const path = parameterRoot(props.environment).slice(1);
    this.policy = new ManagedPolicy(this, 'Policy', {
      managedPolicyName: `storytailor-curator-on-call-${props.environment}`,
      description: 'What the Storytailor curator ops commands and runbooks need: switches, rules, replays, the database secret, logs',
      statements: [
        new PolicyStatement({
          sid: 'KillSwitchesAndTunables',
          actions: ['ssm:GetParametersByPath', 'ssm:GetParameter', 'ssm:PutParameter'],
          resources: [
            Arn.format({ service: 'ssm', resource: 'parameter', resourceName: path }, stack),
            Arn.format({ service: 'ssm', resource: 'parameter', resourceName: `${path}/*` }, stack),
          ],
        }),
        new PolicyStatement({
          // `ops tune … --reset` deletes a threshold or cap override; a kill switch can be flipped but never deleted.
          sid: 'ResetTunables',
          actions: ['ssm:DeleteParameter'],
          resources: policyTunableNames.map((name) => Arn.format({ service: 'ssm', resource: 'parameter', resourceName: `${path}/*/${name}` }, stack)),
        }),
        new PolicyStatement({
          sid: 'StopAndStartTheRules',
          actions: ['events:DisableRule', 'events:EnableRule', 'events:DescribeRule'],
          resources: props.rules.map((rule) => rule.ruleArn),
        }),
        new PolicyStatement({
          // Replays and the guide's health check, and nothing that could pass for the app's signals.
          sid: 'PublishReplays',
          actions: ['events:PutEvents'],
          resources: [Arn.format({ service: 'events', resource: 'event-bus', resourceName: 'default' }, stack)],
          conditions: { StringEquals: { 'events:source': [...opsEventSources] } },
        }),
        new PolicyStatement({
          sid: 'ReachTheCurator',
          actions: ['lambda:GetFunctionConfiguration', 'lambda:InvokeFunction'],
          resources: [props.curator.functionArn, props.opsSummary.functionArn],
        }),
        new PolicyStatement({
          sid: 'ReadTheDatabaseAndStripeKeys',
          actions: ['secretsmanager:GetSecretValue'],
          resources: props.secrets.map((secret) => secret.secretArn),
        }),
        new PolicyStatement({
          // `ops page-test` proves each severity's route with a real alarm; it can set no other alarm's state.
          sid: 'TestThePagingPath',
          actions: ['cloudwatch:SetAlarmState', 'cloudwatch:DescribeAlarms'],
          resources: props.pageTests.map((alarm) => alarm.alarmArn),
        }),
        new PolicyStatement({
          sid: 'SearchTheCuratorLogs',
          actions: ['logs:FilterLogEvents'],
          resources: [
            Arn.format({ service: 'logs', resource: 'log-group', resourceName: `${props.curatorLogGroupName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack),
          ],
        }),
      ],
    });
    Validations.of(this.policy).acknowledge({
      id: ssmPathFinding(this, parameterRoot(props.environment)),
      reason: 'The switches and tunables are read and flipped under their own path, and nothing else.',
    });
    for (const name of policyTunableNames) {
      Validations.of(this.policy).acknowledge({
        id: ssmParametersFinding(this, `${parameterRoot(props.environment)}/*/${name}`),
        reason: `ops tune --reset deletes the ${name} override of a pipeline (or all), and no other parameter: never a kill switch.`,
      });
    }
    Validations.of(this.policy).acknowledge({
      id: logGroupFinding(this, props.curatorLogGroupName),
      reason: "FilterLogEvents over the streams of the curator's own log group, and no other.",
    });
  }
}
