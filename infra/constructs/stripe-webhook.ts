import type { FunctionUrl } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { stripeWebhookEvents } from '../../src/handlers/stripe-webhook.js';
import { Namespace } from '../../src/metrics/catalog.js';
import { stripeWebhookFunctionName, type Environment } from '../../src/pipelines/index.js';
import type { CuratorSecrets } from './secrets.js';
import { webhookFunction } from './webhook-function.js';

/** Props of {@link StripeWebhook}. */
export interface StripeWebhookProps {
  readonly environment: Environment;
  readonly supabaseUrl: string;
  readonly secrets: CuratorSecrets;
}

/**
 * Stripe's webhook: `storytailor-stripe-webhook-{env}`, verifying Stripe's own signature with the endpoint's signing
 * secret. It touches only the database (through Supabase) and its own metrics: no switch, no queue, no other secret.
 */
export class StripeWebhook extends Construct {
  public readonly fn: NodejsFunction;
  public readonly url: FunctionUrl;

  constructor(scope: Construct, id: string, props: StripeWebhookProps) {
    super(scope, id);
    const { fn, url } = webhookFunction(this, {
      ...props,
      functionName: stripeWebhookFunctionName(props.environment),
      entry: 'src/handlers/stripe-webhook.ts',
      description: 'Applies the credit Stripe invoices take from the balance to reward_ledger',
      signingSecret: { secret: props.secrets.stripeWebhookSigningSecret, variable: 'STRIPE_WEBHOOK_SECRET_ARN' },
      namespace: Namespace.Pipelines,
      urlDescription: `Add in Stripe > Developers > Webhooks as an endpoint for ${stripeWebhookEvents.join(', ')}`,
    });
    this.fn = fn;
    this.url = url;
  }
}
