import { Duration, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { Namespace } from '../../src/metrics/catalog.js';
import { parameterRoot, type Environment } from '../../src/pipelines/index.js';
import { acknowledgeLambdaDefaults, putMetricDataIn, readKillSwitches, type CuratorSettings } from './curator.js';
import { NodeFunction } from './node-function.js';
import type { CuratorSecrets } from './secrets.js';

/** Props of {@link OpsSummaryFunction}. */
export interface OpsSummaryFunctionProps {
  readonly environment: Environment;
  readonly settings: CuratorSettings;
  readonly secrets: CuratorSecrets;
}

/** `storytailor-ops-summary-{env}`: the function the morning ops summary's schedule invokes. */
export const opsSummaryFunctionName = (environment: Environment) => `storytailor-ops-summary-${environment}`;

/**
 * The morning ops summary's own function (src/handlers/ops-summary.ts), invoked only by its EventBridge Scheduler
 * schedule. It draws the monthly report's charts (vega and resvg's WebAssembly, with an embedded font copied beside
 * the bundle), so they stay out of the curator's bundle and cold start, with memory of its own. It reads the
 * switches, the database and the curator's own Lambda metrics, sends one email through SendGrid and puts metrics in
 * the pipelines namespace: nothing else.
 */
export class OpsSummaryFunction extends Construct {
  public readonly fn: NodejsFunction;

  constructor(scope: Construct, id: string, props: OpsSummaryFunctionProps) {
    super(scope, id);
    const { environment, settings, secrets } = props;
    const { fn } = new NodeFunction(this, 'OpsSummary', {
      functionName: opsSummaryFunctionName(environment),
      entry: 'src/handlers/ops-summary.ts',
      description: 'The morning ops summary (and the first Monday monthly report with its charts) to the ops list',
      memorySize: 1024,
      timeout: Duration.seconds(120),
      environment: {
        CURATOR_ENV: environment,
        CURATOR_SWITCH_SOURCE: 'ssm',
        CURATOR_METRICS: 'cloudwatch',
        SUPABASE_URL: settings.supabaseUrl,
        SUPABASE_SERVICE_ROLE_KEY_SECRET_ARN: secrets.supabaseServiceRoleKey.secretArn,
        SENDGRID_API_KEY_SECRET_ARN: secrets.sendgridApiKey.secretArn,
        CURATOR_FROM_EMAIL: settings.fromEmail,
        CURATOR_OPS_SUMMARY_RECIPIENTS: settings.opsSummaryRecipients.join(','),
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      assets: [
        { from: 'node_modules/@resvg/resvg-wasm/index_bg.wasm', to: 'resvg.wasm' },
        { from: 'node_modules/dejavu-fonts-ttf/ttf/DejaVuSans.ttf', to: 'DejaVuSans.ttf' },
      ],
    });
    this.fn = fn;
    const path = parameterRoot(environment);
    fn.addToRolePolicy(readKillSwitches(this, environment));
    fn.addToRolePolicy(putMetricDataIn([Namespace.Pipelines]));
    // The Morning Checklist's step 3: the curator's own Lambda errors and throttles (AWS/Lambda), read back.
    fn.addToRolePolicy(new PolicyStatement({ sid: 'ReadCuratorLambdaMetrics', actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'cloudwatch:GetMetricData and PutMetricData have no resource-level permissions; PutMetricData is held to its namespace.',
    });
    for (const secret of [secrets.sendgridApiKey, secrets.supabaseServiceRoleKey]) secret.grantRead(fn);
    acknowledgeLambdaDefaults(fn, path);
  }
}
