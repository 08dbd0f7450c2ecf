import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SSMClient } from '@aws-sdk/client-ssm';
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { systemClock } from '../adapters/clock.js';
import { cloudWatchMetrics } from '../adapters/aws/cloudwatch-metrics.js';
import { powertoolsLogger } from '../adapters/aws/powertools-logger.js';
import { ssmSwitches } from '../adapters/aws/ssm-switches.js';
import { ledgerPayments } from '../adapters/local/ledger-payments.js';
import { memoryMetrics } from '../adapters/local/metrics.js';
import { outboxMailer } from '../adapters/local/outbox-mailer.js';
import { localSwitches } from '../adapters/local/switches.js';
import { applyMigrations } from '../db/migrate.js';
import { openPglite } from '../db/pglite-client.js';
import { openPostgres } from '../db/postgres-client.js';
import type { SqlClient } from '../db/sql-client.js';
import type { CuratorDeps } from '../runner/deps.js';
import { CuratorStore } from '../store/curator-store.js';
import { sqlTransport } from '../store/sql-transport.js';
import { supabaseTransport } from '../store/supabase-transport.js';
import type { StoreTransport } from '../store/transport.js';
import type { CuratorConfig } from './config.js';

/** Adapters a caller supplies instead of the configured ones (tests, the local simulation). */
export type DependencyOverrides = Partial<Omit<CuratorDeps, 'config' | 'store'>> & { readonly sql?: SqlClient };

/** Opens the store's transport the configuration names (or over `sql`, when given). */
export async function openTransport(config: CuratorConfig, sql: SqlClient | undefined): Promise<StoreTransport> {
  if (sql !== undefined) return sqlTransport(sql);
  const { database } = config;
  switch (database.kind) {
    case 'supabase':
      return supabaseTransport(
        createClient(database.url, database.serviceRoleKey, {
          auth: { persistSession: false, autoRefreshToken: false },
          realtime: { transport: WebSocket as never },
        }),
      );
    case 'postgres':
      return sqlTransport(openPostgres({ connectionString: database.connectionString }));
    case 'pglite': {
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
  const store = new CuratorStore(await openTransport(config, overrides.sql));
  const { aws } = config;
  const clientConfig = { region: aws.region, ...(aws.endpoint ? { endpoint: aws.endpoint } : {}), maxAttempts: 5 };
  const logger = overrides.logger ?? powertoolsLogger('intelligence-curator', { environment: config.environment });
  const metrics =
    overrides.metrics ??
    (aws.metrics === 'cloudwatch'
      ? cloudWatchMetrics({ client: new CloudWatchClient(clientConfig), environment: config.environment, logger })
      : memoryMetrics());
  const switches =
    overrides.switches ??
    (aws.switchSource === 'ssm'
      ? ssmSwitches({ client: new SSMClient(clientConfig), environment: config.environment, ttlSeconds: aws.switchTtlSeconds, logger, metrics })
      : localSwitches({ file: config.switches.file, fromEnvironment: config.switches.json }));
  return {
    store,
    switches,
    metrics,
    mailer: overrides.mailer ?? outboxMailer(config.outboxDir),
    payments: overrides.payments ?? ledgerPayments(config.ledgerFile),
    clock: overrides.clock ?? systemClock,
    logger,
    config: {
      environment: config.environment,
      pageSize: config.pageSize,
      leaseSeconds: config.leaseSeconds,
      owner: 'unset',
      templates: config.templates,
    },
  };
}
