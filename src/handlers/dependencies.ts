import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { systemClock } from '../adapters/clock.js';
import { jsonLogger } from '../adapters/json-logger.js';
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

async function openTransport(config: CuratorConfig, sql: SqlClient | undefined): Promise<StoreTransport> {
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
 * Wires the curator's adapters from its configuration: the store on Supabase, a Postgres server or PGlite, and
 * the local stand-ins for the switches, metrics, mailer and payments (the AWS, SendGrid and Stripe adapters
 * replace them as they land). `owner` is set per invocation by the handler.
 */
export async function buildDependencies(config: CuratorConfig, overrides: DependencyOverrides = {}): Promise<CuratorDeps> {
  const store = new CuratorStore(await openTransport(config, overrides.sql));
  return {
    store,
    switches: overrides.switches ?? localSwitches({ file: config.switches.file, fromEnvironment: config.switches.json }),
    metrics: overrides.metrics ?? memoryMetrics(),
    mailer: overrides.mailer ?? outboxMailer(config.outboxDir),
    payments: overrides.payments ?? ledgerPayments(config.ledgerFile),
    clock: overrides.clock ?? systemClock,
    logger: overrides.logger ?? jsonLogger((line) => process.stdout.write(`${line}\n`), { service: 'intelligence-curator' }),
    config: {
      environment: config.environment,
      pageSize: config.pageSize,
      leaseSeconds: config.leaseSeconds,
      owner: 'unset',
      templates: config.templates,
    },
  };
}
