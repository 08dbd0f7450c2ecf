import { Arn, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { RecursiveLoop } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { Namespace } from '../../src/metrics/catalog.js';
import { curatorFunctionName, parameterRoot, type Environment } from '../../src/pipelines/index.js';
import { anyResource, basicExecutionRole, ssmPathFinding } from '../acknowledgements.js';
import { NodeFunction } from './node-function.js';
import type { CuratorSecrets } from './secrets.js';

/** Settings that differ between deployments (CDK context `storytailor:{env}`). */
export interface CuratorSettings {
  readonly supabaseUrl: string;
  readonly fromEmail: string;
  readonly templates: Readonly<Record<string, string>>;
  readonly reservedConcurrency: number;
  /** Work-queue invocations at once; kept below reservedConcurrency for realtime signals. */
  readonly workConcurrency: number;
  /** A digest or insights population above this many is split into shards through the work queue. */
  readonly shardSize: number;
  readonly evidenceGraceMinutes: number;
  readonly canaryRecipients: readonly string[];
  /** The ops list the morning ops summary goes to. */
  readonly opsSummaryRecipients: readonly string[];
}

/** Props of {@link IntelligenceCurator}. */
export interface IntelligenceCuratorProps {
  readonly environment: Environment;
  readonly settings: CuratorSettings;
  readonly secrets: CuratorSecrets;
}

/**
 * The Intelligence Curator: `storytailor-intelligence-curator-{env}`, 512 MB, 300 s, with a dead-letter queue for
 * what EventBridge and async invocations could not deliver, and only the permissions it uses: read its switches
 * path, put metrics in its two namespaces, read its three secrets.
 */
export class IntelligenceCurator extends Construct {
  public readonly fn: NodejsFunction;
  public readonly deadLetterQueue: Queue;
  public readonly workQueue: Queue;
  public readonly functionName: string;

  constructor(scope: Construct, id: string, props: IntelligenceCuratorProps) {
    super(scope, id);
    const { environment, settings, secrets } = props;
    this.functionName = curatorFunctionName(environment);

    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      queueName: `storytailor-curator-dead-letters-${environment}`,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue; its alarm (storytailor-curator-dead-letters) pages on-call.',
    });

    // Continuations and shards come back through this queue; its event source mapping runs at most `workConcurrency` at once,
    // below the reserved concurrency, so realtime signals (crisis alerts) always find a free invocation.
    this.workQueue = new Queue(this, 'Work', {
      queueName: `storytailor-curator-work-${environment}`,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(360),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 3 },
    });

    const { fn } = new NodeFunction(this, 'Curator', {
      functionName: this.functionName,
      entry: 'src/handlers/curator.ts',
      description: 'Decides whether to email a family or credit an account, and records every decision',
      memorySize: 512,
      timeout: Duration.seconds(300),
      reservedConcurrentExecutions: settings.reservedConcurrency,
      // A run continues itself through the work queue; Lambda stops such loops unless the function allows them.
      recursiveLoop: RecursiveLoop.ALLOW,
      environment: {
        CURATOR_ENV: environment,
        CURATOR_SWITCH_SOURCE: 'ssm',
        CURATOR_METRICS: 'cloudwatch',
        SUPABASE_URL: settings.supabaseUrl,
        SUPABASE_SERVICE_ROLE_KEY_SECRET_ARN: secrets.supabaseServiceRoleKey.secretArn,
        SENDGRID_API_KEY_SECRET_ARN: secrets.sendgridApiKey.secretArn,
        STRIPE_SECRET_KEY_SECRET_ARN: secrets.stripeSecretKey.secretArn,
        CURATOR_FROM_EMAIL: settings.fromEmail,
        CURATOR_TEMPLATES: JSON.stringify(settings.templates),
        CURATOR_CANARY_RECIPIENTS: settings.canaryRecipients.join(','),
        CURATOR_WORK_QUEUE_URL: this.workQueue.queueUrl,
        CURATOR_SHARD_SIZE: String(settings.shardSize),
        CURATOR_EVIDENCE_GRACE_MINUTES: String(settings.evidenceGraceMinutes),
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    this.fn = fn;
    fn.addEventSource(new SqsEventSource(this.workQueue, { batchSize: 1, maxConcurrency: settings.workConcurrency, reportBatchItemFailures: true }));
    this.workQueue.grantSendMessages(fn);
    fn.configureAsyncInvoke({ onFailure: new SqsDestination(this.deadLetterQueue), retryAttempts: 2, maxEventAge: Duration.hours(1) });

    const path = parameterRoot(environment);
    fn.addToRolePolicy(readKillSwitches(this, environment));
    fn.addToRolePolicy(putMetricDataIn([Namespace.Pipelines, Namespace.Email]));
    // The health job settles emails of unknown outcome only while the webhook had no error or throttle (AWS/Lambda).
    fn.addToRolePolicy(new PolicyStatement({ sid: 'ReadWebhookLambdaMetrics', actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
    for (const secret of [secrets.sendgridApiKey, secrets.stripeSecretKey, secrets.supabaseServiceRoleKey]) secret.grantRead(fn);
    acknowledgeLambdaDefaults(fn, path);
  }
}

/** Reading the switches and tunables of an environment, in one recursive read of their path, and nothing else. */
export function readKillSwitches(scope: Construct, environment: Environment): PolicyStatement {
  const stack = Stack.of(scope);
  const path = parameterRoot(environment).slice(1);
  return new PolicyStatement({
    sid: 'ReadKillSwitches',
    actions: ['ssm:GetParametersByPath'],
    resources: [
      Arn.format({ service: 'ssm', resource: 'parameter', resourceName: path }, stack),
      Arn.format({ service: 'ssm', resource: 'parameter', resourceName: `${path}/*` }, stack),
    ],
  });
}

/** PutMetricData cannot be scoped by resource; the namespace condition is its least privilege. */
export function putMetricDataIn(namespaces: readonly string[]): PolicyStatement {
  return new PolicyStatement({
    sid: 'PutMetricsInOwnNamespaces',
    effect: Effect.ALLOW,
    actions: ['cloudwatch:PutMetricData'],
    resources: ['*'],
    conditions: { StringEquals: { 'cloudwatch:namespace': [...namespaces] } },
  });
}

/** The findings every function of this stack carries, with why each is accepted. */
export function acknowledgeLambdaDefaults(fn: NodejsFunction, switchesPath?: string): void {
  Validations.of(fn).acknowledge({
    id: basicExecutionRole,
    reason: 'AWSLambdaBasicExecutionRole only lets the function write its own logs; CDK attaches it to every function.',
  });
  Validations.of(fn).acknowledge({
    id: anyResource,
    reason:
      'cloudwatch:PutMetricData, GetMetricData and X-Ray segments have no resource ARNs; PutMetricData is limited by the cloudwatch:namespace condition, GetMetricData only reads.',
  });
  if (switchesPath !== undefined) {
    Validations.of(fn).acknowledge({
      id: ssmPathFinding(fn, switchesPath),
      reason: 'GetParametersByPath reads the switches recursively under their own path, and nothing else.',
    });
  }
}
