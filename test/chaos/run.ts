/**
 * `npm run chaos`: the crash-and-fault suite. Each trial runs the real handler in separate processes (worker.ts)
 * against the Postgres server and local SendGrid and Stripe servers that fail a share of requests, kills one with
 * SIGKILL at a named step or a random point (or drops its database connections for a while), then delivers the
 * event again as EventBridge and Lambda would (+60 s, +180 s, in simulated time), drains the work queue, runs the
 * health job and the documented replays, and checks the invariants: every candidate ends with exactly one terminal
 * execution, every crisis alert sent or escalated, no non-critical email sent twice, no credit paid twice, nothing
 * pending, no paid credit recorded unpaid. Prints the figures; exits 1 when any invariant fails.
 *
 *   npm run chaos                      # seed 11, every trial
 *   npm run chaos -- --seed 7 --scale 2
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { replayEvent, scheduledJobEvent, signalEvent, healthEvent } from '../../src/events/curator-events.js';
import { applyMigrations } from '../../src/db/migrate.js';
import { openPostgres } from '../../src/db/postgres-client.js';
import { lastFiring } from '../../src/pipelines/index.js';
import { fakeSendGrid, fakeStripe, type FaultPlan } from '../support/fake-providers.js';
import { seedDigestPopulation } from '../support/population.js';
import { insertUsers } from '../support/seed.js';
import { checkCredits, checkEmails, noFindings, type Findings, type ProviderRecord } from './invariants.js';
import { deliverAsLambda, drainQueue, figures, type WorkerSetting } from './lambda.js';
import type { KillPlan } from './worker.js';

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '11' },
    /** Multiplies the populations (1: 200 families and 100 referrals a trial). */
    scale: { type: 'string', default: '1' },
    /** Only the trials whose name contains this. */
    only: { type: 'string', default: '' },
    /** Keep the database (its name is printed) to look into a failure. */
    keep: { type: 'boolean', default: false },
  },
});
const seed = Number(args.seed);
const scale = Number(args.scale);
if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${args.seed}`);
if (!(scale > 0 && scale <= 20)) throw new Error(`--scale must be a number from 0 to 20, got ${args.scale}`);

/** A seeded PRNG (mulberry32): the same seed, the same trials and kill points. */
function prng(start: number): () => number {
  let state = start >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
const random = prng(seed);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));

const started = Date.now();
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const here = new URL('.', import.meta.url).pathname;
const workDir = join(here, '..', '..', '.chaos');
rmSync(workDir, { recursive: true, force: true });
mkdirSync(workDir, { recursive: true });
const worker = join(workDir, 'worker.mjs');
await build({ entryPoints: [join(here, 'worker.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: worker, logLevel: 'error' });

const name = `curator_chaos_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const admin = openPostgres({ connectionString: serverUrl, maxConnections: 1 });
await admin.exec(`create database ${name}`);
const url = new URL(serverUrl);
url.pathname = `/${name}`;
const databaseUrl = url.toString();
const sql = openPostgres({ connectionString: databaseUrl, maxConnections: 2 });
await applyMigrations(sql);

// A share of provider requests fail as the providers fail: SendGrid 500s and 429s, Stripe 500s.
let sendgridFaults = 0;
let stripeFaults = 0;
const sendgridFault: FaultPlan = () =>
  random() < sendgridFaults ? pick([{ status: 500, body: { errors: [{ message: 'injected 500' }] } }, { status: 429, headers: { 'retry-after': '0' } }]) : null;
const stripeFault: FaultPlan = () =>
  random() < stripeFaults ? { status: 500, body: { error: { type: 'api_error', message: 'injected 500' } } } : null;
const sendgrid = await fakeSendGrid({ fault: sendgridFault });
const stripe = await fakeStripe({ fault: stripeFault });

const handedLog = join(workDir, 'handed.log');
const providers = (): ProviderRecord => ({
  emailsHanded: new Set(existsSync(handedLog) ? readFileSync(handedLog, 'utf8').split('\n').filter(Boolean) : []),
  emailsReceived: sendgrid.requests.flatMap((request) =>
    (request.body.personalizations ?? []).map((personalization) => ({
      executionId: String(personalization.custom_args?.execution_id ?? ''),
      accepted: request.accepted,
    })),
  ),
  transactions: stripe.transactions.map((transaction) => ({ id: transaction.id, ledgerId: transaction.metadata.ledger_id ?? '' })),
});

const setting = (pageSize: number): WorkerSetting => ({
  databaseUrl,
  pageSize,
  spool: join(workDir, 'queue'),
  handedLog,
  sendgrid: sendgrid.url,
  stripe: { host: '127.0.0.1', port: stripe.port },
});

const leaseMs = 360_000;
const day = 86_400_000;

/** After the first delivery: the work queue, the health job once a lease has run out, the replays ops would run. */
async function aftermath(input: { work: WorkerSetting; now: number; jobType: string; periodKey: string | null; from: Date; to: Date }): Promise<void> {
  let now = await drainQueue(worker, input.work, input.now);
  now = await deliverAsLambda(worker, input.work, healthEvent(), now + leaseMs + 60_000, { at: 'none' });
  now = await drainQueue(worker, input.work, now);
  if (input.periodKey !== null) {
    // runbooks/operations.md: a run that failed is finished by a replay of its period.
    now = await deliverAsLambda(worker, input.work, replayEvent({ jobType: input.jobType as never, periodKey: input.periodKey }, `replay-period-${randomUUID()}`), now + 60_000, { at: 'none' });
    now = await drainQueue(worker, input.work, now);
  }
  // And what failed or whose outcome is unknown, by range (up to the moment ops replays it: a range cannot end ahead of the clock).
  const heldTo = Math.min(input.to.getTime(), now + 60_000);
  const held = replayEvent({ jobType: input.jobType as never, from: input.from.toISOString(), to: new Date(heldTo).toISOString() }, `replay-unfinished-${randomUUID()}`);
  now = await deliverAsLambda(worker, input.work, held, now + 60_000, { at: 'none' });
  await drainQueue(worker, input.work, now);
}

/** The kill plans of one trial kind, for pages of `pages` requests. */
function killPlans(pages: number): Array<{ label: string; kill: KillPlan }> {
  const n = () => between(1, Math.max(1, pages - 1));
  return [
    ...(['after-record', 'before-request', 'after-request', 'after-outcome'] as const).map((at) => ({ label: at, kill: { at, n: n() } as KillPlan })),
    ...Array.from({ length: 3 }, () => ({ label: 'random', kill: { at: 'random', ms: between(150, 1_800) } as KillPlan })),
    { label: 'db outage', kill: { at: 'db-outage', afterCalls: between(4, 3 * pages), forMs: 1_500 } },
  ];
}

interface TrialResult {
  readonly name: string;
  readonly findings: Findings;
}
const results: TrialResult[] = [];

async function digestTrial(index: number, label: string, deliveries: ReadonlyArray<KillPlan>, faults: number): Promise<void> {
  const firing = new Date(Date.UTC(2026, 11, 1, 20) + index * day);
  await sql.query(`update users set is_active = false where is_active`);
  const population = await seedDigestPopulation(sql, firing, {
    engaged: 160 * scale,
    idle: 20 * scale,
    lukewarm: 10 * scale,
    optedOut: 6 * scale,
    suppressed: 4 * scale,
    inactive: 0,
  });
  sendgridFaults = faults;
  const work = setting(40);
  const event = scheduledJobEvent({ jobType: 'daily_digest', time: firing.toISOString(), id: `digest-${index}` });
  const ends = await Promise.all(deliveries.map((kill) => deliverAsLambda(worker, work, event, firing.getTime() + 1_000, kill)));
  const periodKey = lastFiring('daily_digest', firing)!.periodKey;
  await aftermath({ work, now: Math.max(...ends), jobType: 'daily_digest', periodKey, from: new Date(firing.getTime() - 3_600_000), to: new Date(firing.getTime() + day / 2) });
  sendgridFaults = 0;
  const findings = noFindings();
  const subjects = [...population.engaged, ...population.idle, ...population.lukewarm, ...population.optedOut, ...population.suppressed];
  await checkEmails(sql, { jobType: 'daily_digest', subjects, periods: [periodKey], critical: false, providers: providers() }, findings);
  results.push({ name: `digest ${label}${faults > 0 ? `, SendGrid failing ${faults * 100} %` : ''}`, findings });
}

async function referralTrial(index: number, label: string, deliveries: ReadonlyArray<KillPlan>, faults: number): Promise<void> {
  const firing = new Date(Date.UTC(2026, 11, 1, 1) + index * day);
  // Earlier trials' referrals left unrewarded are not this trial's candidates.
  await sql.query(`update referral_tracking set status = 'signed_up' where status = 'converted' and reward_status <> 'issued'`);
  const count = 100 * scale;
  const referrers = await insertUsers(sql, count, { prefix: `referrer-${index}` });
  const referees = await insertUsers(sql, count, { prefix: `referee-${index}` });
  const referrals = (
    await sql.query<{ id: string }>(
      `insert into referral_tracking (referrer_id, referee_id, status, signed_up_at, converted_at, created_at)
       select r, e, 'converted', $3::timestamptz - interval '3 days', $3::timestamptz - interval '2 hours', $3::timestamptz - interval '4 days'
       from unnest($1::uuid[], $2::uuid[]) as t(r, e) returning id`,
      [referrers, referees, firing],
    )
  ).map((row) => row.id);
  stripeFaults = faults;
  const work = { ...setting(20), switches: { 'all/daily-credit-ceiling-cents': String(1_000_000 * scale) } };
  const event = scheduledJobEvent({ jobType: 'referral_rewards', time: firing.toISOString(), id: `referral-${index}` });
  const ends = await Promise.all(deliveries.map((kill) => deliverAsLambda(worker, work, event, firing.getTime() + 1_000, kill)));
  const periodKey = lastFiring('referral_rewards', firing)!.periodKey;
  await aftermath({ work, now: Math.max(...ends), jobType: 'referral_rewards', periodKey, from: new Date(firing.getTime() - 3_600_000), to: new Date(firing.getTime() + day / 2) });
  stripeFaults = 0;
  const findings = noFindings();
  await checkCredits(sql, { referrals, periods: [periodKey], providers: providers() }, findings);
  results.push({ name: `referral ${label}${faults > 0 ? `, Stripe failing ${faults * 100} %` : ''}`, findings });
}

async function crisisTrial(index: number, faults: number): Promise<void> {
  const at = Date.UTC(2026, 11, 1, 14) + index * day;
  const families = await insertUsers(sql, 24, { prefix: `crisis-${index}` });
  sendgridFaults = faults;
  const work = setting(10);
  const plans: KillPlan[] = [{ at: 'none' }, { at: 'after-record', n: 1 }, { at: 'before-request', n: 1 }, { at: 'after-request', n: 1 }, { at: 'random', ms: between(100, 600) }];
  const signals = families.map((userId, number) =>
    signalEvent({ signalId: `crisis-${index}-${number}`, jobType: 'crisis_alert', userId, confidence: 0.97, signalCount: 1, eventTimestamp: new Date(at - 30_000).toISOString() }),
  );
  // Each signal once with a kill plan, and the app's own retry of it at the same moment for every third one.
  let now = at;
  for (const [number, signal] of signals.entries()) {
    const kill = plans[number % plans.length]!;
    const deliveries = number % 3 === 0 ? [kill, { at: 'none' } as KillPlan] : [kill];
    const ends = await Promise.all(deliveries.map((plan) => deliverAsLambda(worker, work, signal, at + number * 1_000, plan)));
    now = Math.max(now, ...ends);
  }
  await aftermath({ work, now, jobType: 'crisis_alert', periodKey: null, from: new Date(at - 3_600_000), to: new Date(at + 3_600_000) });
  sendgridFaults = 0;
  const findings = noFindings();
  const subjects = families;
  const periods = signals.map((signal) => signal.detail.signalId);
  // A crisis alert's subject is its family and its period the signal: one execution per (family, signal).
  await checkEmails(sql, { jobType: 'crisis_alert', subjects, periods, critical: true, providers: providers() }, findings);
  results.push({ name: `crisis alerts, kills at every step${faults > 0 ? `, SendGrid failing ${faults * 100} %` : ''}`, findings });
}

try {
  const trials: Array<{ name: string; run: (index: number) => Promise<void> }> = [
    ...killPlans(8).map(({ label, kill }) => ({ name: `digest, killed ${label}`, run: (i: number) => digestTrial(i, `killed ${label}`, [kill], 0.2) })),
    { name: 'digest, no kill, SendGrid failing 60 %', run: (i) => digestTrial(i, 'not killed', [{ at: 'none' }], 0.6) },
    {
      name: 'digest, delivered 4 times at once, two of them killed',
      run: (i) =>
        digestTrial(i, 'delivered 4x at once, 2 random kills', [{ at: 'none' }, { at: 'random', ms: between(200, 1_200) }, { at: 'none' }, { at: 'after-request', n: 2 }], 0.2),
    },
    ...killPlans(5).map(({ label, kill }) => ({ name: `referral rewards, killed ${label}`, run: (i: number) => referralTrial(i, `killed ${label}`, [kill], 0.2) })),
    {
      name: 'referral rewards, delivered 3 times at once',
      run: (i) => referralTrial(i, 'delivered 3x at once, 1 random kill', [{ at: 'none' }, { at: 'random', ms: between(200, 900) }, { at: 'none' }], 0.6),
    },
    { name: 'crisis alerts', run: (i) => crisisTrial(i, 0.2) },
  ];
  for (const [index, trial] of trials.entries()) {
    if (!trial.name.includes(args.only)) continue;
    process.stderr.write(`[${Math.round((Date.now() - started) / 1_000)} s] ${trial.name}\n`);
    await trial.run(index);
  }
} finally {
  await sendgrid.close();
  await stripe.close();
  await sql.close();
  if (args.keep) console.log(`kept the database ${databaseUrl} and ${workDir}`);
  else {
    await admin.exec(`drop database if exists ${name} with (force)`);
    rmSync(workDir, { recursive: true, force: true });
  }
  await admin.close();
}

const total = (key: keyof Omit<Findings, 'notes'>) => results.reduce((sum, result) => sum + result.findings[key], 0);
const accepted = sendgrid.requests.filter((request) => request.accepted).reduce((sum, request) => sum + request.body.personalizations.length, 0);
const width = Math.max(...results.map((result) => result.name.length));
console.log(`\nCrash-and-fault suite, seed ${seed}, scale ${scale}: ${results.length} trials in ${Math.round((Date.now() - started) / 1_000)} s`);
console.log(`${'trial'.padEnd(width)}  lost  dup email  dup credit  paid unrecorded  crisis dropped  unknown unsent  in doubt`);
for (const { name: trial, findings } of results) {
  console.log(
    `${trial.padEnd(width)}  ${String(findings.lost).padStart(4)}  ${String(findings.duplicateEmails).padStart(9)}  ${String(findings.duplicateCredits).padStart(10)}  ${String(findings.paidUnrecorded).padStart(15)}  ${String(findings.crisisDropped).padStart(14)}  ${String(findings.unknownNeverSent).padStart(14)}  ${String(findings.inDoubt).padStart(8)}`,
  );
  for (const note of findings.notes.slice(0, 5)) console.log(`    ${note}`);
}
console.log(
  `\ninvocations ${figures.invocations}, killed ${figures.kills}, delivered again ${figures.redeliveries}, dead-lettered ${figures.deadLettered}; ` +
    `emails accepted ${accepted.toLocaleString('en-US')}, credits paid ${stripe.transactions.length.toLocaleString('en-US')}`,
);
console.log(
  `lost ${total('lost')}, duplicate emails ${total('duplicateEmails')}, duplicate credits ${total('duplicateCredits')}, ` +
    `paid but unrecorded ${total('paidUnrecorded')}, crisis alerts dropped ${total('crisisDropped')}, unknown but never sent ${total('unknownNeverSent')}; ` +
    `in doubt ${total('inDoubt')} (unknown: committed to be sent, the process killed before SendGrid got it; at most once, so not resent)`,
);
const failed =
  total('lost') + total('duplicateEmails') + total('duplicateCredits') + total('paidUnrecorded') + total('crisisDropped') + total('unknownNeverSent') + figures.deadLettered > 0;
console.log(failed ? '\nFAILED: an invariant does not hold (above)' : '\nevery invariant holds');
process.exit(failed ? 1 : 0);
