/**
 * One Lambda invocation of the curator, in a process of its own, for the crash-and-fault suite (run.ts): the real
 * handler with the real SendGrid and Stripe adapters pointed at the suite's local servers, the store on the Postgres
 * server, and a work queue kept as files in a spool folder (a continuation survives the process, as an SQS message
 * would). The plan says where the process dies: SIGKILL at a named step, after a random delay, or a database that
 * drops its connections for a while. The named steps, each counted from 1 over the invocation:
 *   after-record    a page's decisions, its claims and its request batch are recorded (one statement), nothing of
 *                   it attempted: SendGrid or Stripe never gets the request;
 *   before-request  the gate let a provider request go, and it has not been handed to the provider's client;
 *   after-request   the provider answered, the outcome not yet recorded;
 *   after-outcome   a page's outcomes and progress are recorded.
 * Prints the handler's answer as one JSON line when it lives to give one.
 *
 * Input (JSON in argv[2]): { databaseUrl, event, delivery, nowMs, owner, pageSize, spool, sendgrid, stripe, kill }
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonLogger } from '../../src/adapters/json-logger.js';
import { memoryMetrics } from '../../src/adapters/local/metrics.js';
import { memorySwitches } from '../../src/adapters/local/switches.js';
import { sendGridMailer } from '../../src/adapters/sendgrid/sendgrid-mailer.js';
import { stripePayments } from '../../src/adapters/stripe/stripe-payments.js';
import type { Continuations, FunctionMetrics, Mailer, Payments } from '../../src/curator/ports.js';
import { openPostgres } from '../../src/db/postgres-client.js';
import { createCuratorHandler } from '../../src/handlers/curator.js';
import type { CuratorDeps } from '../../src/runner/deps.js';
import { CuratorStore } from '../../src/store/curator-store.js';
import { sqlTransport } from '../../src/store/sql-transport.js';
import type { StoreTransport } from '../../src/store/transport.js';
import { eventContinuations } from '../../src/adapters/aws/sqs-continuations.js';

/** Where the process dies. `n` counts calls from 1. */
export type KillPlan =
  | { readonly at: 'none' }
  | { readonly at: 'after-record' | 'before-request' | 'after-request' | 'after-outcome'; readonly n: number }
  | { readonly at: 'random'; readonly ms: number }
  | { readonly at: 'db-outage'; readonly afterCalls: number; readonly forMs: number };

export interface WorkerInput {
  readonly databaseUrl: string;
  readonly event: unknown;
  readonly delivery: 'direct' | 'work_queue';
  /** The curator's clock at the start of the invocation (the suite's simulated time). */
  readonly nowMs: number;
  readonly owner: string;
  readonly pageSize: number;
  readonly spool: string;
  /** Where each email handed to SendGrid's client is noted (its execution id), before the request starts. */
  readonly handedLog: string;
  readonly sendgrid: string;
  readonly stripe: { readonly host: string; readonly port: number };
  readonly kill: KillPlan;
  readonly switches?: Readonly<Record<string, string>>;
  /** How many pages of a walk are in flight at once (3, as deployed, unless said). */
  readonly pagesInFlight?: number;
  /**
   * When the SendGrid webhook answered 5xx ([from, until) in simulated ms): what CloudWatch's Errors of the webhook
   * function would show, read by the health job's settlement of unknown emails.
   */
  readonly webhookOutages?: ReadonlyArray<readonly [number, number]>;
}

/** A queued message: the event and the simulated time it may be delivered from (SQS DelaySeconds). */
export interface SpooledMessage {
  readonly event: Record<string, unknown>;
  readonly notBeforeMs: number;
}

const die = (): never => {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
};

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2]!) as WorkerInput;
  const started = Date.now();
  // Simulated time moves with real time inside one invocation.
  const clock = { now: () => new Date(input.nowMs + (Date.now() - started)) };
  const { kill } = input;
  if (kill.at === 'random') setTimeout(die, kill.ms).unref();

  let requests = 0;
  const request = async <T>(send: () => Promise<T>): Promise<T> => {
    const answer = await send();
    requests += 1;
    if (kill.at === 'after-request' && requests === kill.n) die();
    return answer;
  };

  const sql = openPostgres({ connectionString: input.databaseUrl, maxConnections: 4 });
  const inner = sqlTransport(sql);
  let calls = 0;
  const counts = new Map<string, number>();
  const count = (fn: string) => {
    const n = (counts.get(fn) ?? 0) + 1;
    counts.set(fn, n);
    return n;
  };
  let outageUntil = 0;
  const transport: StoreTransport = {
    async call(fn, args) {
      calls += 1;
      if (kill.at === 'db-outage' && calls === kill.afterCalls) outageUntil = Date.now() + kill.forMs;
      if (Date.now() < outageUntil) throw new Error('Connection terminated unexpectedly');
      const answer = await inner.call(fn, args);
      if (fn.name === 'curator_record_decisions' && kill.at === 'after-record' && count(fn.name) === kill.n) die();
      if (fn.name === 'curator_record_outcomes' && kill.at === 'after-outcome' && count(fn.name) === kill.n) die();
      return answer;
    },
  };

  const sendgrid = sendGridMailer({ apiKey: 'SG.chaos-suite-key', from: { email: 'hello@storytailor.test' }, baseUrl: input.sendgrid, timeoutMs: 5_000 });
  const mailer: Mailer = {
    maxBatchSize: sendgrid.maxBatchSize,
    sendContent: (email) => sendgrid.sendContent(email),
    send: (emails) => {
      if (kill.at === 'before-request' && count('provider request') === kill.n) die();
      // Noted synchronously as the request is handed over: what the suite may find `unknown` afterwards.
      appendFileSync(input.handedLog, emails.map((email) => `${email.executionId}\n`).join(''));
      return request(() => sendgrid.send(emails));
    },
  };
  const stripe = stripePayments({ apiKey: 'sk_test_chaos_suite', host: input.stripe.host, port: input.stripe.port, protocol: 'http', timeoutMs: 5_000 });
  const payments: Payments = {
    credit: (movements) => {
      if (kill.at === 'before-request' && count('provider request') === kill.n) die();
      return request(() => stripe.credit(movements));
    },
    reverse: (movements) => {
      if (kill.at === 'before-request' && count('provider request') === kill.n) die();
      return request(() => stripe.reverse(movements));
    },
    creditBalances: (customers) => stripe.creditBalances(customers),
    upcomingInvoiceAt: (customer) => stripe.upcomingInvoiceAt(customer),
  };

  mkdirSync(input.spool, { recursive: true });
  const continuations: Continuations = eventContinuations(async (events, options = {}) => {
    for (const event of events) {
      const message: SpooledMessage = { event: { ...event }, notBeforeMs: clock.now().getTime() + (options.delaySeconds ?? 0) * 1_000 };
      // Written whole, then renamed: the queue never holds half a message.
      const name = `${Date.now()}-${randomUUID()}.json`;
      writeFileSync(join(input.spool, `.${name}`), JSON.stringify(message));
      renameSync(join(input.spool, `.${name}`), join(input.spool, name));
    }
  });

  // CloudWatch's view of the webhook: an error in each five minutes it answered 5xx.
  const webhookMetrics: FunctionMetrics = {
    read: async () => ({ functionName: 'storytailor-sendgrid-webhook-staging', invocations: 0, errors: 0, throttles: 0 }),
    lastTrouble: async (from, until) => {
      const ends = (input.webhookOutages ?? []).filter(([start, end]) => start < until.getTime() && end > from.getTime()).map(([, end]) => Math.min(end, until.getTime()));
      return ends.length === 0 ? null : new Date(Math.max(...ends));
    },
  };

  const deps: CuratorDeps = {
    store: new CuratorStore(transport),
    switches: memorySwitches(input.switches ?? {}),
    metrics: memoryMetrics(),
    mailer,
    payments,
    clock,
    logger: jsonLogger(() => undefined),
    continuations,
    webhookMetrics,
    config: { environment: 'staging', pageSize: input.pageSize, leaseSeconds: 360, owner: input.owner, templates: {}, pagesInFlight: input.pagesInFlight ?? 3 },
  };
  const handler = createCuratorHandler(async () => deps);
  const event =
    input.delivery === 'work_queue' ? { Records: [{ messageId: input.owner, body: JSON.stringify(input.event), eventSource: 'aws:sqs' }] } : input.event;
  let answer: unknown;
  try {
    answer = await handler(event, { awsRequestId: input.owner });
  } catch (error) {
    answer = { thrown: error instanceof Error ? error.message : String(error) };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
  await sql.close();
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
