import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { Environment } from '../../src/pipelines/index.js';

/** Props of {@link CuratorSecrets}. */
export interface CuratorSecretsProps {
  readonly environment: Environment;
}

/**
 * The five secrets the functions read at cold start, named `storytailor/{env}/...`. The stack creates them with
 * a placeholder; ops put the real values (`aws secretsmanager put-secret-value`) before the first run. They are
 * kept when the stack is deleted.
 */
export class CuratorSecrets extends Construct {
  public readonly sendgridApiKey: ISecret;
  public readonly stripeSecretKey: ISecret;
  public readonly supabaseServiceRoleKey: ISecret;
  public readonly sendgridWebhookPublicKey: ISecret;
  public readonly stripeWebhookSigningSecret: ISecret;

  constructor(scope: Construct, id: string, props: CuratorSecretsProps) {
    super(scope, id);
    const make = (name: string, description: string) => {
      const secret = new Secret(this, name, {
        secretName: `storytailor/${props.environment}/${name}`,
        description,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason: 'A third-party API key: it is rotated in the provider console and then put here; Secrets Manager cannot rotate it.',
      });
      return secret;
    };
    this.sendgridApiKey = make('sendgrid-api-key', 'SendGrid API key (mail send) for the curator');
    this.stripeSecretKey = make('stripe-secret-key', 'Stripe secret key (customer balance transactions) for the curator');
    this.supabaseServiceRoleKey = make('supabase-service-role-key', 'Supabase service role key for the curator and the webhook');
    this.sendgridWebhookPublicKey = make('sendgrid-webhook-public-key', 'SendGrid signed event webhook verification key (base64 DER)');
    this.stripeWebhookSigningSecret = make('stripe-webhook-signing-secret', "Stripe webhook endpoint signing secret (whsec_...) for the Stripe webhook");
  }
}
