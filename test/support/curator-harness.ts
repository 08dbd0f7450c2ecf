import { manualClock, type ManualClock } from '../../src/adapters/clock.js';
import { memoryLogger } from '../../src/adapters/json-logger.js';
import { ledgerPayments } from '../../src/adapters/local/ledger-payments.js';
import { memoryMetrics, type MemoryMetrics } from '../../src/adapters/local/metrics.js';
import { memorySwitches } from '../../src/adapters/local/switches.js';
import type { ContentEmail, Continuations, FunctionMetrics, Mailer, Metrics, OutgoingEmail, Payments, SendOutcome, SwitchSource } from '../../src/curator/ports.js';
import { createOpsSummaryHandler } from '../../src/handlers/ops-summary.js';
import { createCuratorHandler, type CuratorResult } from '../../src/handlers/curator.js';
import type { CuratorDeps, RunnerConfig } from '../../src/runner/deps.js';
import type { Tally } from '../../src/runner/tally.js';
import { CuratorStore } from '../../src/store/curator-store.js';
import { sqlTransport } from '../../src/store/sql-transport.js';
import type { StoreTransport } from '../../src/store/transport.js';
import type { TestDatabase } from './database.js';
import type { faults } from './faults.js';

/** A mailer that remembers what it sent and can be told to refuse or lose some emails. */
export interface RecordingMailer extends Mailer {
  readonly sent: OutgoingEmail[];
  readonly requests: number[];
  readonly contentSent: ContentEmail[];
  failWith: ((email: OutgoingEmail) => SendOutcome['status'] | null) | null;
}

export function recordingMailer(maxBatchSize = 1_000): RecordingMailer {
  const mailer: RecordingMailer = {
    maxBatchSize,
    sent: [],
    requests: [],
    contentSent: [],
    failWith: null,
    async sendContent(email) {
      mailer.contentSent.push(email);
      return { status: 'sent', providerMessageId: `content-${mailer.contentSent.length}` };
    },
    async send(emails) {
      mailer.requests.push(emails.length);
      return emails.map((email): SendOutcome => {
        const failure = mailer.failWith?.(email) ?? null;
        if (failure === 'failed' || failure === 'unknown') {
          return { executionId: email.executionId, status: failure, error: `injected ${failure}` };
        }
        mailer.sent.push(email);
        return { executionId: email.executionId, status: 'sent', providerMessageId: `msg-${mailer.sent.length}` };
      });
    },
  };
  return mailer;
}

export interface Harness {
  readonly deps: CuratorDeps;
  readonly clock: ManualClock;
  readonly switches: ReturnType<typeof memorySwitches>;
  readonly metrics: MemoryMetrics;
  readonly mailer: RecordingMailer;
  readonly payments: ReturnType<typeof ledgerPayments>;
  readonly logger: ReturnType<typeof memoryLogger>;
  readonly handler: ReturnType<typeof createCuratorHandler>;
  /** The morning ops summary's own function, over the same adapters. */
  readonly opsSummary: ReturnType<typeof createOpsSummaryHandler>;
}

/** The curator's handler over a test database, with in-memory adapters the test can inspect and steer. */
export function curatorHarness(
  db: TestDatabase,
  options: {
    start?: Date;
    pageSize?: number;
    transport?: StoreTransport;
    maxBatchSize?: number;
    /** Instead of the in-memory switches (SSM against moto, say). */
    switchSource?: SwitchSource;
    /** Instead of the in-memory metrics (CloudWatch against moto, say). */
    metricsSink?: Metrics;
    /** Faults injected between the curator and its store, mailer and payments (test/support/faults.ts). */
    faults?: ReturnType<typeof faults>;
    /** Instead of the local ledger stand-in (Stripe's SDK against a local server, say). */
    paymentsAdapter?: Payments;
    /** Runner settings beside the defaults (the ops summary's recipients, say). */
    config?: Partial<RunnerConfig>;
    /** The work queue (a list the test reads, say); none by default, as locally. */
    continuations?: Continuations;
    /** The SendGrid webhook's Lambda errors and throttles, as CloudWatch would answer. */
    webhookMetrics?: FunctionMetrics;
  } = {},
): Harness {
  const clock = manualClock(options.start ?? new Date('2026-11-23T20:00:00Z'));
  const switches = memorySwitches();
  const metrics = memoryMetrics();
  const mailer = recordingMailer(options.maxBatchSize);
  const payments = ledgerPayments(null);
  const logger = memoryLogger();
  const transport = options.transport ?? sqlTransport(db.sql);
  const injected = options.faults;
  const deps: CuratorDeps = {
    store: new CuratorStore(injected ? injected.transport(transport) : transport),
    switches: options.switchSource ?? switches,
    metrics: options.metricsSink ?? metrics,
    mailer: injected ? injected.mailer(mailer) : mailer,
    payments: injected ? injected.payments(options.paymentsAdapter ?? payments) : (options.paymentsAdapter ?? payments),
    clock,
    logger,
    ...(options.continuations ? { continuations: options.continuations } : {}),
    ...(options.webhookMetrics ? { webhookMetrics: options.webhookMetrics } : {}),
    config: { environment: 'staging', pageSize: options.pageSize ?? 1_000, leaseSeconds: 360, owner: 'unset', templates: {}, pagesInFlight: 3, ...options.config },
  };
  const handler = createCuratorHandler(async () => deps);
  const opsSummary = createOpsSummaryHandler(async () => deps);
  return { deps, clock, switches, metrics, mailer, payments, logger, handler, opsSummary };
}

export const scheduledEvent = (jobType: string, time: Date, id = `evt-${jobType}-${time.toISOString()}`) => ({
  version: '0',
  id,
  source: 'storytailor.scheduler',
  'detail-type': 'Scheduled Job',
  time: time.toISOString(),
  detail: { jobType },
});

export const replayEvent = (detail: Record<string, unknown>, id?: string) => ({
  ...(id === undefined ? {} : { id }),
  source: 'storytailor.manual',
  'detail-type': 'retry',
  detail: { retry: true, ...detail },
});

export const signalEvent = (detail: Record<string, unknown>) => ({
  source: 'storytailor.agent',
  'detail-type': 'Emotional Signal',
  detail,
});

/** The tally of a job's answer; throws when the event was refused or the answer (health) has none. */
export function tallyOf(result: CuratorResult): Tally {
  if (!result.ok) throw new Error(`the curator refused the event: ${result.error}`);
  if (!('tally' in result)) throw new Error(`a ${result.kind} answer has no tally`);
  return result.tally;
}

/**
 * Runs a digest firing whose first page's request never reaches SendGrid (as if the invocation died after recording
 * the page's batch and before the request left): that page's emails are left unknown, the others sent. Answers
 * the lost request batch.
 */
export async function runLosingFirstRequest(curator: Harness, firing: Date): Promise<string> {
  let lost: string | null = null;
  curator.mailer.failWith = (email) => {
    lost ??= email.requestBatch ?? null;
    return email.requestBatch === lost ? 'unknown' : null;
  };
  await curator.handler(scheduledEvent('daily_digest', firing));
  curator.mailer.failWith = null;
  if (lost === null) throw new Error('no request carried a batch');
  return lost;
}
