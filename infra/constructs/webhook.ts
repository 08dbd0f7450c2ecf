import { CfnOutput, Duration } from 'aws-cdk-lib';
import { FunctionUrlAuthType, type FunctionUrl } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { Namespace } from '../../src/metrics/catalog.js';
import type { Environment } from '../../src/pipelines/index.js';
import { acknowledgeLambdaDefaults, putMetricDataIn } from './curator.js';
import { NodeFunction } from './node-function.js';
import type { CuratorSecrets } from './secrets.js';

/** Props of {@link SendGridWebhook}. */
export interface SendGridWebhookProps {
  readonly environment: Environment;
  readonly supabaseUrl: string;
  readonly secrets: CuratorSecrets;
}

/**
 * SendGrid's signed event webhook: `storytailor-sendgrid-webhook-{env}` behind a function URL with no AWS auth,
 * because SendGrid cannot sign AWS requests; the handler verifies SendGrid's own ECDSA signature instead.
 */
export class SendGridWebhook extends Construct {
  public readonly fn: NodejsFunction;
  public readonly url: FunctionUrl;

  constructor(scope: Construct, id: string, props: SendGridWebhookProps) {
    super(scope, id);
    const { fn } = new NodeFunction(this, 'Webhook', {
      functionName: `storytailor-sendgrid-webhook-${props.environment}`,
      entry: 'src/handlers/sendgrid-webhook.ts',
      description: 'Applies SendGrid delivery events to email_delivery_log and email_suppressions',
      memorySize: 256,
      timeout: Duration.seconds(30),
      environment: {
        CURATOR_ENV: props.environment,
        CURATOR_METRICS: 'cloudwatch',
        SUPABASE_URL: props.supabaseUrl,
        SUPABASE_SERVICE_ROLE_KEY_SECRET_ARN: props.secrets.supabaseServiceRoleKey.secretArn,
        SENDGRID_WEBHOOK_PUBLIC_KEY_SECRET_ARN: props.secrets.sendgridWebhookPublicKey.secretArn,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    this.fn = fn;
    this.url = fn.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    fn.addToRolePolicy(putMetricDataIn([Namespace.Email]));
    props.secrets.sendgridWebhookPublicKey.grantRead(fn);
    props.secrets.supabaseServiceRoleKey.grantRead(fn);
    acknowledgeLambdaDefaults(fn);
    new CfnOutput(this, 'Url', { value: this.url.url, description: 'Paste into SendGrid > Mail Settings > Event Webhook' });
  }
}
