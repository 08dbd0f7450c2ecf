import { CfnOutput, Duration } from 'aws-cdk-lib';
import { FunctionUrlAuthType, type FunctionUrl } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { Namespace } from '../../src/metrics/catalog.js';
import { parameterRoot, type Environment } from '../../src/pipelines/index.js';
import { acknowledgeLambdaDefaults, putMetricDataIn } from './curator.js';
import { NodeFunction } from './node-function.js';
import type { CuratorSecrets } from './secrets.js';

/** Props of {@link webhookFunction}. */
export interface WebhookFunctionProps {
  readonly environment: Environment;
  readonly supabaseUrl: string;
  readonly secrets: CuratorSecrets;
  readonly functionName: string;
  readonly entry: string;
  readonly description: string;
  /** The secret that checks the provider's signature, and the variable that names it to the handler. */
  readonly signingSecret: { readonly secret: ISecret; readonly variable: string };
  /** The one namespace its metrics go to. */
  readonly namespace: Namespace;
  /** Settings of its own beyond the database's. */
  readonly extraEnvironment?: Readonly<Record<string, string>>;
  /** What the stack output of its URL tells the person who pastes it into the provider. */
  readonly urlDescription: string;
}

/**
 * A provider's signed webhook: a function behind a URL with no AWS auth, because the provider cannot sign AWS
 * requests (the handler checks the provider's own signature with `signingSecret`). It reads the database through
 * Supabase with the service key and puts metrics in its namespace; what else it may touch its construct grants.
 */
export function webhookFunction(scope: Construct, props: WebhookFunctionProps): { readonly fn: NodejsFunction; readonly url: FunctionUrl } {
  const { fn } = new NodeFunction(scope, 'Webhook', {
    functionName: props.functionName,
    entry: props.entry,
    description: props.description,
    memorySize: 256,
    timeout: Duration.seconds(30),
    environment: {
      CURATOR_ENV: props.environment,
      CURATOR_METRICS: 'cloudwatch',
      SUPABASE_URL: props.supabaseUrl,
      SUPABASE_SERVICE_ROLE_KEY_SECRET_ARN: props.secrets.supabaseServiceRoleKey.secretArn,
      [props.signingSecret.variable]: props.signingSecret.secret.secretArn,
      ...props.extraEnvironment,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  const url = fn.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
  fn.addToRolePolicy(putMetricDataIn([props.namespace]));
  props.signingSecret.secret.grantRead(fn);
  props.secrets.supabaseServiceRoleKey.grantRead(fn);
  acknowledgeLambdaDefaults(fn, parameterRoot(props.environment));
  new CfnOutput(scope, 'Url', { value: url.url, description: props.urlDescription });
  return { fn, url };
}
