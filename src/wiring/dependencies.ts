import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { createClient } from '@supabase/supabase-js';
import { SecretsManagerClient, secretReader } from '../adapters/aws/secrets.js';
import { sqsContinuations } from '../adapters/aws/sqs-continuations.js';
import { sendGridMailer } from '../adapters/sendgrid/sendgrid-mailer.js';
import { stripePayments } from '../adapters/stripe/stripe-payments.js';
import { MetricName, type Metrics, type Logger, type Payments } from '../curator/ports.js';
import WebSocket from 'ws';
import { systemClock } from '../adapters/clock.js';
import { cloudWatchMetrics } from '../adapters/aws/cloudwatch-metrics.js';
import { lambdaFunctionMetrics } from '../adapters/aws/lambda-function-metrics.js';
import { powertoolsLogger } from '../adapters/aws/powertools-logger.js';
import { ssmSwitches } from '../adapters/aws/ssm-switches.js';
import { ledgerPayments } from '../adapters/local/ledger-payments.js';
import { memoryMetrics } from '../adapters/local/metrics.js';
import { outboxMailer } from '../adapters/local/outbox-mailer.js';
import { localSwitches } from '../adapters/local/switches.js';
import { openPostgres } from '../db/postgres-client.js';
import type { SqlClient } from '../db/sql-client.js';
import type { CuratorDeps } from '../runner/deps.js';
import { CuratorStore, type StoreObserver } from '../store/curator-store.js';
import { sqlTransport } from '../store/sql-transport.js';
import { supabaseTransport } from '../store/supabase-transport.js';
import type { StoreTransport } from '../store/transport.js';
import { curatorFunctionName, webhookFunctionName } from '../pipelines/index.js';
import type { CuratorConfig } from './config.js';

/** Adapters a caller supplies instead of the configured ones (tests, the local simulation). */
export type DependencyOverrides = Partial<Omit<CuratorDeps, 'config' | 'store'>> & { readonly sql?: SqlClient };

export function awsClientConfig(config: CuratorConfig) {
  const { aws } = config;
  return { region: aws.region, ...(aws.endpoint ? { endpoint: aws.endpoint } : {}), maxAttempts: 5 };
}

const readers = new WeakMap<CuratorConfig, ReturnType<typeof secretReader>>();
/** The secret reader of a configuration, made once so its cache is shared. */
export function secretsOf(config: CuratorConfig): ReturnType<typeof secretReader> {
  let reader = readers.get(config);
  if (reader === undefined) {
    reader = secretReader(new SecretsManagerClient(awsClientConfig(config)));
    readers.set(config, reader);
  }
  return reader;
}

function stripeEndpoint(apiBase: string | undefined) {
  if (apiBase === undefined) return {};
  const url = new URL(apiBase);
  return { host: url.hostname, port: Number(url.port || (url.protocol === 'http:' ? 80 : 443)), protocol: url.protocol.replace(':', '') as 'http' | 'https' };
}

/**
 * Stripe, when the configuration names its key (the value, or the ARN of its Secrets Manager secret); null when it
 * does not. The curator and the ops commands both pay through this, so neither pays elsewhere than the other.
 */
export async function stripeOf(config: CuratorConfig): Promise<Payments | null> {
  if (config.stripe === null) return null;
  return stripePayments({ apiKey: await secretsOf(config)(config.stripe.apiKey), ...stripeEndpoint(config.stripe.apiBase) });
}

/** Opens the store's transport the configuration names (or over `sql`, when given). */
export async function openTransport(config: CuratorConfig, sql: SqlClient | undefined): Promise<StoreTransport> {
  if (sql !== undefined) return sqlTransport(sql);
  const { database } = config;
  switch (database.kind) {
    case 'supabase':
      return supabaseTransport(
        createClient(database.url, await secretsOf(config)(database.serviceRoleKey), {
          auth: { persistSession: false, autoRefreshToken: false },
          realtime: { transport: WebSocket as never },
        }),
      );
    case 'postgres':
      return sqlTransport(openPostgres({ connectionString: database.connectionString }));
    case 'pglite': {
      // Loaded only here, so the Lambda bundle never loads the embedded database or the migrations folder.
      const [{ openPglite }, { applyMigrations }] = await Promise.all([import('../db/pglite-client.js'), import('../db/migrate.js')]);
      const embedded = await openPglite(database.dataDir ?? undefined);
      await applyMigrations(embedded);
      return sqlTransport(embedded);
    }
    default: {
      const unknown: never = database;
      throw new Error(`unknown database ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * Wires the curator's adapters from its configuration: the store on Supabase, a Postgres server or PGlite; the
 * switches from SSM and metrics to CloudWatch (inside Lambda, or when configured), else their local stand-ins;
 * logs through Powertools; the local mailer and payments until the SendGrid and Stripe adapters land. Clients
 * are made once, so warm invocations reuse them and the switch cache. `owner` is set per invocation.
 */
export async function buildDependencies(config: CuratorConfig, overrides: DependencyOverrides = {}): Promise<CuratorDeps> {
  const { aws } = config;
  const clientConfig = awsClientConfig(config);
  const secret = secretsOf(config);
  const logger = overrides.logger ?? powertoolsLogger('intelligence-curator', { environment: config.environment });
  const metrics = overrides.metrics ?? metricsFor(config, logger);
  const store = new CuratorStore(await openTransport(config, overrides.sql), storeTimings(metrics));
  const switches =
    overrides.switches ??
    (aws.switchSource === 'ssm'
      ? ssmSwitches({ client: new SSMClient(clientConfig), environment: config.environment, ttlSeconds: aws.switchTtlSeconds, logger, metrics })
      : localSwitches({ file: config.switches.file, fromEnvironment: config.switches.json }));
  const mailer =
    overrides.mailer ??
    (config.sendgrid
      ? sendGridMailer({ apiKey: await secret(config.sendgrid.apiKey), from: config.sendgrid.from, ...(config.sendgrid.baseUrl ? { baseUrl: config.sendgrid.baseUrl } : {}) })
      : outboxMailer(config.outboxDir, undefined, overrides.clock ?? systemClock));
  const payments = overrides.payments ?? (await stripeOf(config)) ?? ledgerPayments(config.ledgerFile, overrides.clock ?? systemClock);
  const continuations =
    overrides.continuations ?? (config.workQueueUrl ? sqsContinuations(new SQSClient(clientConfig), config.workQueueUrl) : undefined);
  // Where the curator runs in Lambda (metrics go to CloudWatch), its own errors and throttles can be read back.
  const cloudWatch = aws.metrics === 'cloudwatch' ? new CloudWatchClient(clientConfig) : null;
  const functionMetrics = overrides.functionMetrics ?? (cloudWatch ? lambdaFunctionMetrics(cloudWatch, curatorFunctionName(config.environment)) : undefined);
  // The webhook's own errors and throttles: a failing webhook may have lost the evidence of an email of unknown outcome.
  const webhookMetrics = overrides.webhookMetrics ?? (cloudWatch ? lambdaFunctionMetrics(cloudWatch, webhookFunctionName(config.environment)) : undefined);
  return {
    store,
    switches,
    metrics,
    mailer,
    payments,
    clock: overrides.clock ?? systemClock,
    logger,
    ...(continuations ? { continuations } : {}),
    ...(functionMetrics ? { functionMetrics } : {}),
    ...(webhookMetrics ? { webhookMetrics } : {}),
    config: {
      environment: config.environment,
      pageSize: config.pageSize,
      leaseSeconds: config.leaseSeconds,
      pagesInFlight: config.pagesInFlight,
      continuationMarginMs: config.continuationMarginMs,
      shardSize: config.shardSize,
      owner: 'unset',
      templates: config.templates,
      canaryRecipients: config.canaryRecipients,
      opsSummaryRecipients: config.opsSummaryRecipients,
      evidenceGraceMinutes: config.evidenceGraceMinutes,
    },
  };
}

/** Each store call's duration as StoreCallDuration (by SQL function), whole milliseconds so Values/Counts stay few. */
export function storeTimings(metrics: Metrics): StoreObserver {
  return (storeFunction, milliseconds) =>
    metrics.record({ name: MetricName.StoreCallDuration, value: Math.max(0, Math.round(milliseconds)), unit: 'Milliseconds', storeFunction });
}

export function metricsFor(config: CuratorConfig, logger: Logger): Metrics {
  return config.aws.metrics === 'cloudwatch'
    ? cloudWatchMetrics({ client: new CloudWatchClient(awsClientConfig(config)), environment: config.environment, logger })
    : memoryMetrics();
}

