import { CfnOutput, Duration } from 'aws-cdk-lib';
import { FunctionUrlAuthType, type FunctionUrl } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { stripeWebhookEvents } from '../../src/handlers/stripe-webhook.js';
import { Namespace } from '../../src/metrics/catalog.js';
import { parameterRoot, stripeWebhookFunctionName, type Environment } from '../../src/pipelines/index.js';
import { acknowledgeLambdaDefaults, putMetricDataIn } from './curator.js';
import { NodeFunction } from './node-function.js';
import type { CuratorSecrets } from './secrets.js';

/** Props of {@link StripeWebhook}. */
export interface StripeWebhookProps {
  readonly environment: Environment;
  readonly supabaseUrl: string;
  readonly secrets: CuratorSecrets;
}

/**
 * Stripe's webhook: `storytailor-stripe-webhook-{env}` behind a function URL with no AWS auth, because Stripe cannot
 * sign AWS requests; the handler verifies Stripe's own signature with the endpoint's signing secret instead. It
 * touches only the database (through Supabase) and its own metrics: no switch, no queue, no other secret.
 */
export class StripeWebhook extends Construct {
  public readonly fn: NodejsFunction;
  public readonly url: FunctionUrl;

  constructor(scope: Construct, id: string, props: StripeWebhookProps) {
    super(scope, id);
    const { fn } = new NodeFunction(this, 'Webhook', {
      functionName: stripeWebhookFunctionName(props.environment),
      entry: 'src/handlers/stripe-webhook.ts',
      description: 'Applies the credit Stripe invoices take from the balance to reward_ledger',
      memorySize: 256,
      timeout: Duration.seconds(30),
      environment: {
        CURATOR_ENV: props.environment,
        CURATOR_METRICS: 'cloudwatch',
        SUPABASE_URL: props.supabaseUrl,
        SUPABASE_SERVICE_ROLE_KEY_SECRET_ARN: props.secrets.supabaseServiceRoleKey.secretArn,
        STRIPE_WEBHOOK_SECRET_ARN: props.secrets.stripeWebhookSigningSecret.secretArn,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    this.fn = fn;
    this.url = fn.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    fn.addToRolePolicy(putMetricDataIn([Namespace.Pipelines]));
    props.secrets.stripeWebhookSigningSecret.grantRead(fn);
    props.secrets.supabaseServiceRoleKey.grantRead(fn);
    acknowledgeLambdaDefaults(fn, parameterRoot(props.environment));
    new CfnOutput(this, 'Url', {
      value: this.url.url,
      description: `Add in Stripe > Developers > Webhooks as an endpoint for ${stripeWebhookEvents.join(', ')}`,
    });
  }
}
