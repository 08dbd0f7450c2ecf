import { powertoolsLogger } from '../adapters/aws/powertools-logger.js';
import type { Clock, Logger, Metrics } from '../curator/ports.js';
import type { SqlClient } from '../db/sql-client.js';
import { CuratorStore } from '../store/curator-store.js';
import type { CuratorConfig } from './config.js';
import { metricsFor, openTransport, secretsOf, storeTimings } from './dependencies.js';

/** What the Stripe webhook needs, wired once per cold start. */
export interface StripeWebhookDeps {
  readonly store: CuratorStore;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** The endpoint's signing secret (whsec_...), from Secrets Manager in AWS. */
  readonly signingSecret: string;
}

/** Wires the Stripe webhook: the store, metrics, Powertools logs and the endpoint's signing secret. */
export async function buildStripeWebhookDependencies(
  config: CuratorConfig,
  overrides: { sql?: SqlClient; metrics?: Metrics; logger?: Logger; clock?: Clock; signingSecret?: string } = {},
): Promise<StripeWebhookDeps> {
  const logger = overrides.logger ?? powertoolsLogger('stripe-webhook', { environment: config.environment });
  let signingSecret = overrides.signingSecret;
  if (signingSecret === undefined) {
    if (config.stripeWebhook.signingSecret === null) {
      throw new Error('invalid configuration: STRIPE_WEBHOOK_SECRET (or its _SECRET_ARN) is required by the Stripe webhook');
    }
    signingSecret = await secretsOf(config)(config.stripeWebhook.signingSecret);
  }
  const metrics = overrides.metrics ?? metricsFor(config, logger);
  return {
    store: new CuratorStore(await openTransport(config, overrides.sql), storeTimings(metrics)),
    metrics,
    logger,
    signingSecret,
    ...(overrides.clock ? { clock: overrides.clock } : {}),
  };
}
