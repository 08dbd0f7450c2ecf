import { Arn, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { FunctionUrl } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { Namespace } from '../../src/metrics/catalog.js';
import { breakablePipelines } from '../../src/breaker/complaint-breaker.js';
import { killSwitchPath, pipelines, webhookFunctionName, type Environment } from '../../src/pipelines/index.js';
import { readKillSwitches } from './curator.js';
import { webhookFunction } from './webhook-function.js';
import type { CuratorSecrets } from './secrets.js';

/** Props of {@link SendGridWebhook}. */
export interface SendGridWebhookProps {
  readonly environment: Environment;
  readonly supabaseUrl: string;
  readonly secrets: CuratorSecrets;
  /** The curator's work queue: a batch the webhook settles failed has its replay queued there. */
  readonly workQueue: IQueue;
  /** How long an email of unknown outcome waits for SendGrid's events (cdk.json `evidenceGraceMinutes`). */
  readonly evidenceGraceMinutes: number;
}

/**
 * SendGrid's signed event webhook: `storytailor-sendgrid-webhook-{env}`, verifying SendGrid's own ECDSA signature. Its
 * complaint breaker reads the parameters as the curator does, may put exactly the email pipelines' own kill switches
 * (never crisis-alert's, never `all`'s) and pages the critical topic. It settles emails of unknown outcome as the
 * health job does, so it may queue their replay on the work queue and read its own errors and throttles back.
 */
export class SendGridWebhook extends Construct {
  public readonly fn: NodejsFunction;
  public readonly url: FunctionUrl;

  constructor(scope: Construct, id: string, props: SendGridWebhookProps) {
    super(scope, id);
    const { fn, url } = webhookFunction(this, {
      ...props,
      functionName: webhookFunctionName(props.environment),
      entry: 'src/handlers/sendgrid-webhook.ts',
      description: 'Applies SendGrid delivery events to email_delivery_log and email_suppressions',
      signingSecret: { secret: props.secrets.sendgridWebhookPublicKey, variable: 'SENDGRID_WEBHOOK_PUBLIC_KEY_SECRET_ARN' },
      namespace: Namespace.Email,
      extraEnvironment: {
        CURATOR_SWITCH_SOURCE: 'ssm',
        CURATOR_WORK_QUEUE_URL: props.workQueue.queueUrl,
        CURATOR_EVIDENCE_GRACE_MINUTES: String(props.evidenceGraceMinutes),
      },
      urlDescription: 'Paste into SendGrid > Mail Settings > Event Webhook',
    });
    this.fn = fn;
    this.url = url;
    const stack = Stack.of(this);
    const parameter = (path: string) => Arn.format({ service: 'ssm', resource: 'parameter', resourceName: path.slice(1) }, stack);
    fn.addToRolePolicy(readKillSwitches(this, props.environment));
    fn.addToRolePolicy(
      new PolicyStatement({
        sid: 'BreakerPutsEmailSwitches',
        actions: ['ssm:PutParameter'],
        resources: breakablePipelines.map((jobType) => parameter(killSwitchPath(props.environment, pipelines[jobType].slug))),
      }),
    );
    props.workQueue.grantSendMessages(fn);
    // Its own AWS/Lambda errors and throttles: a webhook that failed may have lost a request's evidence.
    fn.addToRolePolicy(new PolicyStatement({ sid: 'ReadWebhookLambdaMetrics', actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
  }
}
