/**
 * `npm start`: the whole curator on this machine with no cloud account. An embedded Postgres (PGlite) with the
 * migrations, a synthetic population, local stand-ins for SSM (switches in memory), SendGrid (an outbox folder, and
 * its event webhook's reports each evening through the real webhook handler) and Stripe (a ledger file), and every
 * job run through the real handler as the rules would fire them over simulated days that include a Sunday and the
 * first Monday of a month. Ends with a report.
 *
 *   npm start                                   # 10 simulated days, 3,000 families
 *   npm start -- --users 500 --days 9
 *   npm start -- --job daily_digest --dry-run   # one job
 *   npm start -- --data-dir .local/pgdata       # keep the database for the next run
 *   npm start -- --help
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { flowingClock } from '../src/adapters/clock.js';
import { readWholeNumber, refusalText } from '../src/requests/request-contract.js';
import { compareDryRun, comparisonTable } from '../src/format/dry-run-comparison.js';
import { jsonLogger } from '../src/adapters/json-logger.js';
import { ledgerPayments } from '../src/adapters/local/ledger-payments.js';
import { memoryMetrics } from '../src/adapters/local/metrics.js';
import { memorySwitches } from '../src/adapters/local/switches.js';
import { StaleDatabaseError } from '../src/db/errors.js';
import { applyMigrations } from '../src/db/migrate.js';
import { openPglite } from '../src/db/pglite-client.js';
import { loadConfig } from '../src/wiring/config.js';
import { healthEvent, replayEvent, scheduledJobEvent } from '../src/events/curator-events.js';
import { createOpsSummaryHandler } from '../src/handlers/ops-summary.js';
import { createCuratorHandler } from '../src/handlers/curator.js';
import { buildDependencies } from '../src/wiring/dependencies.js';
import { buildWebhookDependencies } from '../src/wiring/webhook.js';
import { createSendGridWebhookHandler } from '../src/handlers/sendgrid-webhook.js';
import { createStripeWebhookHandler } from '../src/handlers/stripe-webhook.js';
import { buildStripeWebhookDependencies } from '../src/wiring/stripe-webhook.js';
import { stripeInvoicer } from '../src/local/stripe-invoices.js';
import { complaintSpiker, emailReporter } from '../src/local/sendgrid-events.js';
import { seedPopulation, simulateReading } from '../src/local/seed-population.js';
import { checkQuietHours, formatReport, countOutbox, reviewLoop } from '../src/local/report.js';
import { resolvePolicy } from '../src/curator/policy.js';
import { runSimulation } from '../src/local/simulation.js';
import { isJobType, jobTypes, lastFiring, type JobType } from '../src/pipelines/index.js';

// The AWS SDK warns once about Node 20's end of support when a client is made; the local run needs no reminder.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const usage = `usage: npm start -- [options]

  --users N          families to seed, 100 to 200000 (default 3000)
  --days N           simulated days, 1 to 60 (default 10); the scripted signals and ops actions fall on the first
                     seven, and fewer days run only those inside them
  --start YYYY-MM-DD the first simulated day (default 2026-11-28)
  --job JOB          run one scheduled job for its last firing instead (${jobTypes.filter((job) => lastFiring(job, new Date()) !== null).join(', ')}, or health)
  --dry-run          with --job: decide what would happen and show it beside the last real run of the period (or
                     of the previous period, said so) with the difference; write and send nothing
  --data-dir DIR     keep the database in DIR for the next run
  --quiet            no progress lines
  --help             this text

Each run writes its emails, Stripe stand-in and log to a folder of its own, .local/runs/<time>-<what>/ (the newest
is .local/latest); nothing of an earlier run is deleted. Durations are real: the simulated clock runs at real speed
while a job runs. Exit codes: 0 done, 1 a job failed or the health check found something unhealthy, 2 bad usage.`;

function fail(message: string): never {
  console.error(`npm start: ${message}\n\n${usage}`);
  process.exit(2);
}

let parsed: ReturnType<typeof parseOptions>;
function parseOptions() {
  return parseArgs({
    options: {
      users: { type: 'string', default: '3000' },
      days: { type: 'string', default: '10' },
      start: { type: 'string', default: '2026-11-28' },
      job: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
}
try {
  parsed = parseOptions();
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
const { values: args } = parsed;
if (args.help) {
  console.log(usage);
  process.exit(0);
}

/** A whole number written in decimal digits (`0x200` and `1e3` are refused, not read as 512 and 1,000). */
function wholeNumber(flag: string, text: string, range: { min: number; max: number }): number {
  const read = readWholeNumber(flag, text, range);
  if (!read.ok) fail(refusalText(read.refusal));
  return read.value;
}
const users = wholeNumber('--users', args.users, { min: 100, max: 200_000 });
const days = wholeNumber('--days', args.days, { min: 1, max: 60 });
const start = new Date(`${args.start}T00:00:00Z`);
// A real calendar day: 2026-02-30 is refused, not rolled over to 2026-03-02.
if (!/^\d{4}-\d{2}-\d{2}$/.test(args.start) || Number.isNaN(start.getTime()) || start.toISOString().slice(0, 10) !== args.start) {
  fail(`--start must be a calendar date like 2026-11-28, got ${args.start}`);
}
if (args.job !== undefined && args.job !== 'health' && !isJobType(args.job)) fail(`--job must be one of ${jobTypes.join(', ')} or health, got ${args.job}`);
if (args.job !== undefined && isJobType(args.job) && lastFiring(args.job, new Date()) === null) {
  fail(`--job ${args.job}: it is realtime, it runs from the app's signals; run npm start without --job to see it`);
}
if (args['dry-run'] && args.job === undefined) fail('--dry-run needs --job');

// Every run, real or dry, writes into a folder of its own and deletes nothing of another's.
const localDir = '.local';
const what = args.job === undefined ? 'simulation' : `${args.job}${args['dry-run'] ? '-dry-run' : ''}`;
const runDir = join(localDir, 'runs', `${new Date().toISOString().replace(/[:.]/g, '-')}-${what}`);
const outboxDir = join(runDir, 'outbox');
const ledgerFile = join(runDir, 'stripe-ledger.json');
const logFile = join(runDir, 'curator.log');
const keep = args['data-dir'];
mkdirSync(outboxDir, { recursive: true });
rmSync(join(localDir, 'latest'), { force: true });
symlinkSync(join('runs', basename(runDir)), join(localDir, 'latest'));

const progress = (line: string) => {
  if (args.quiet) return;
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${line}`);
  else process.stderr.write(`${line}\n`);
};

const sql = await openPglite(keep);
try {
  await applyMigrations(sql);
} catch (error) {
  if (!(error instanceof StaleDatabaseError)) throw error;
  fail(`--data-dir ${keep}: ${error.message}`);
}
// Simulated time that runs at real speed during a job, so every run's duration is what it took.
const clock = flowingClock(start);
// Ops lowered the daily credit ceiling to $50 for this promotion, so the spend guard shows itself.
const switches = memorySwitches({ 'all/daily-credit-ceiling-cents': '5000' });
const metrics = memoryMetrics();
const payments = ledgerPayments(ledgerFile);
const logStream = createWriteStream(logFile, { flags: 'w' });
// Log lines carry the simulated time, as they would have in the days simulated.
const logger = jsonLogger((line) => logStream.write(`${line}\n`), { service: 'intelligence-curator', environment: 'local' }, () => clock.now());
const config = loadConfig({
  ...process.env,
  CURATOR_OUTBOX_DIR: outboxDir,
  CURATOR_LEDGER_FILE: ledgerFile,
  // The morning ops summary goes to the local outbox, addressed as cdk.json addresses it per environment.
  CURATOR_OPS_SUMMARY_RECIPIENTS: process.env.CURATOR_OPS_SUMMARY_RECIPIENTS ?? 'ops-team@storytailor.local',
});
const deps = await buildDependencies(config, { sql, clock, switches, metrics, payments, logger });
const handler = createCuratorHandler(async () => deps);
// The morning ops summary's own function, over the same adapters (its charts go to the outbox beside its HTML).
const opsSummary = createOpsSummaryHandler(async () => deps);
// SendGrid's event webhook, as deployed, verifying the deliveries the local SendGrid signs with a key of this run.
const sendGridKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const webhookLogger = jsonLogger((line) => logStream.write(`${line}\n`), { service: 'sendgrid-webhook', environment: 'local' }, () => clock.now());
// Its complaint breaker flips the same in-memory switches the curator reads; its BreakerTrips (what the P1 alarm
// storytailor-complaint-breaker pages on in AWS) land in the same in-memory metrics as the report reads.
const breaker = { environment: config.environment, switches, switchWriter: { turnOff: async (slug: string) => switches.set(`${slug}/enabled`, 'false') } };
const webhook = createSendGridWebhookHandler(() =>
  buildWebhookDependencies(config, { sql, metrics, logger: webhookLogger, publicKey: sendGridKey.publicKey, clock, breaker }),
);
const reportEmails = emailReporter({ sql, webhook, privateKey: sendGridKey.privateKey, clock });
// Stripe's webhook, as deployed, verifying what the local Stripe signs with this run's endpoint secret; the invoices
// the local Stripe finalizes take what they can of each family's credit balance.
const stripeSecret = `whsec_local_${randomBytes(16).toString('hex')}`;
const stripeLogger = jsonLogger((line) => logStream.write(`${line}\n`), { service: 'stripe-webhook', environment: 'local' }, () => clock.now());
const stripeWebhook = createStripeWebhookHandler(() =>
  buildStripeWebhookDependencies(config, { sql, metrics, logger: stripeLogger, clock, signingSecret: stripeSecret }),
);
const invoicer = stripeInvoicer({ payments, webhook: stripeWebhook, secret: stripeSecret, clock });
const finalizeInvoices = async (day: Date) => {
  await invoicer(day);
};
const complaintSpike = complaintSpiker({ sql, webhook, privateKey: sendGridKey.privateKey, clock });

const [{ n: existing } = { n: 0 }] = await sql.query<{ n: number }>('select count(*)::int as n from users');
progress(existing > 0 ? `using the ${existing} families already in ${keep}` : `seeding ${users} families…`);
const population = existing > 0 ? null : await seedPopulation(sql, { users, start, payments });

let exitCode = 0;
if (args.job !== undefined) {
  exitCode = await runOneJob(args.job as JobType | 'health', args['dry-run']);
} else {
  const result = await runSimulation({ sql, clock, handler, opsSummary, switches, reportEmails, complaintSpike, finalizeInvoices, start, days, users, progress });
  progress('');
  console.log(
    formatReport(result, {
      start,
      days,
      population,
      outbox: countOutbox(outboxDir),
      outboxDir,
      ledgerFile,
      transactions: payments.transactions.length,
      logFile,
      metrics,
      review: await reviewLoop(sql, clock.now()),
      quietHours: await checkQuietHours(outboxDir, sql, resolvePolicy('daily_digest', new Map()).policy.quietHours!),
    }),
  );
}
logStream.end();
await sql.close();
// Set after the database is closed: PGlite's shutdown resets the exit code.
process.exitCode = exitCode;

async function runOneJob(job: JobType | 'health', dryRun: boolean): Promise<number> {
  // The day after the simulated days: a kept database has run them, so this period is new and the dry run is
  // shown beside the last real one. A fresh database gets a week of reading first.
  const now = new Date(start.getTime() + (days + 1) * 86_400_000);
  clock.set(now);
  for (let back = existing > 0 ? 1 : 7; back >= 1; back -= 1) await simulateReading(sql, new Date(now.getTime() - back * 86_400_000));
  let event: unknown;
  if (job === 'health') event = healthEvent();
  else if (dryRun) event = replayEvent({ jobType: job, dryRun: true });
  else {
    const firing = lastFiring(job, now)!;
    event = scheduledJobEvent({ jobType: job, time: firing.scheduledTime.toISOString(), id: `local-${job}` });
  }
  const result = await handler(event);
  progress('');
  if (result.ok && result.status === 'dry_run') {
    console.log(`dry run of ${job} ${result.periodKey}: nothing written or sent`);
    for (const line of comparisonTable(compareDryRun(result.tally, result.lastRealRun))) console.log(line);
    if (!result.lastRealRun) {
      console.log(`\nNo real run of ${job} in this database yet. Keep one with: npm start -- --data-dir .local/pgdata, then add --data-dir .local/pgdata here.`);
    }
  } else console.log(JSON.stringify(result, null, 2));
  // A refused or failed job, or an unhealthy health check, is the exit code, as `ops health` gives it.
  return !result.ok || result.status === 'failed' ? 1 : 0;
}

