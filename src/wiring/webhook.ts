import type { KeyObject } from 'node:crypto';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { lambdaFunctionMetrics } from '../adapters/aws/lambda-function-metrics.js';
import { powertoolsLogger } from '../adapters/aws/powertools-logger.js';
import { sqsContinuations } from '../adapters/aws/sqs-continuations.js';
import { ssmSwitchWriter } from '../adapters/aws/ssm-switch-writer.js';
import { ssmSwitches } from '../adapters/aws/ssm-switches.js';
import { publicKeyOf } from '../adapters/sendgrid/event-webhook.js';
import type { BreakerDeps } from '../breaker/complaint-breaker.js';
import type { Clock, Logger, Metrics } from '../curator/ports.js';
import type { SqlClient } from '../db/sql-client.js';
import { webhookFunctionName } from '../pipelines/index.js';
import type { SettlementDeps } from '../runner/jobs/settle-unknown-emails.js';
import { CuratorStore } from '../store/curator-store.js';
import type { CuratorConfig } from './config.js';
import { awsClientConfig, metricsFor, openTransport, secretsOf, storeTimings } from './dependencies.js';

/** What the webhook needs, wired once per cold start. */
export interface WebhookDeps {
  readonly store: CuratorStore;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** SendGrid's signed-webhook verification key. */
  readonly publicKey: KeyObject;
  /** How old a signed timestamp may be, either way, before the request is refused as stale. */
  readonly toleranceSeconds: number;
  /** The complaint breaker's switches and pager; without it no pipeline is ever turned off by complaints. */
  readonly breaker?: Omit<BreakerDeps, 'store' | 'metrics' | 'logger'>;
  /**
   * The work queue and the webhook's own Lambda metrics, to settle emails of unknown outcome as evidence comes in
   * (settleUnknownEmails) rather than at the health job's next quarter hour; without it only the health job does.
   */
  readonly settlement?: Omit<SettlementDeps, 'store' | 'clock' | 'logger'>;
}

/**
 * Wires the SendGrid webhook: the store, metrics, Powertools logs, the verification key, the complaint breaker
 * (the switches read as the curator reads them, the switch put in SSM; its page is the alarm on BreakerTrips) and
 * the settlement of emails of unknown outcome (settlementOf). In AWS it reads SSM; locally the breaker runs only when
 * the caller hands it its switches.
 */
export async function buildWebhookDependencies(
  config: CuratorConfig,
  overrides: {
    sql?: SqlClient;
    metrics?: Metrics;
    logger?: Logger;
    publicKey?: KeyObject;
    clock?: Clock;
    breaker?: WebhookDeps['breaker'];
    settlement?: WebhookDeps['settlement'];
  } = {},
): Promise<WebhookDeps> {
  const logger = overrides.logger ?? powertoolsLogger('sendgrid-webhook', { environment: config.environment });
  let publicKey = overrides.publicKey;
  if (publicKey === undefined) {
    if (config.webhook.publicKey === null) {
      throw new Error('invalid configuration: SENDGRID_WEBHOOK_PUBLIC_KEY (or its _SECRET_ARN) is required by the webhook');
    }
    publicKey = publicKeyOf(await secretsOf(config)(config.webhook.publicKey));
  }
  const metrics = overrides.metrics ?? metricsFor(config, logger);
  const breaker = overrides.breaker ?? breakerOf(config, logger, metrics);
  const settlement = overrides.settlement ?? settlementOf(config);
  return {
    store: new CuratorStore(await openTransport(config, overrides.sql), storeTimings(metrics)),
    metrics,
    logger,
    publicKey,
    toleranceSeconds: config.webhook.toleranceSeconds,
    ...(overrides.clock ? { clock: overrides.clock } : {}),
    ...(breaker ? { breaker } : {}),
    ...(settlement ? { settlement } : {}),
  };
}

/**
 * What the webhook settles emails of unknown outcome with: the work queue its replays go to, and its own errors and
 * throttles read back from CloudWatch (a webhook that failed may have lost evidence). Where there is no work queue
 * (locally) only the health job settles, and it says where to replay by hand.
 */
function settlementOf(config: CuratorConfig): WebhookDeps['settlement'] {
  if (!config.workQueueUrl) return undefined;
  const clientConfig = awsClientConfig(config);
  return {
    continuations: sqsContinuations(new SQSClient(clientConfig), config.workQueueUrl),
    ...(config.aws.metrics === 'cloudwatch'
      ? { webhookMetrics: lambdaFunctionMetrics(new CloudWatchClient(clientConfig), webhookFunctionName(config.environment)) }
      : {}),
    config: { evidenceGraceMinutes: config.evidenceGraceMinutes },
  };
}

function breakerOf(config: CuratorConfig, logger: Logger, metrics: Metrics): WebhookDeps['breaker'] {
  if (config.aws.switchSource !== 'ssm') return undefined;
  const ssm = new SSMClient(awsClientConfig(config));
  return {
    environment: config.environment,
    switches: ssmSwitches({ client: ssm, environment: config.environment, ttlSeconds: config.aws.switchTtlSeconds, logger, metrics }),
    switchWriter: ssmSwitchWriter(ssm, config.environment),
  };
}
