/**
 * `npm run bench`: the daily digest at scale, through the real handler and adapters, against a real Postgres and
 * local servers that answer like SendGrid and CloudWatch. Prints one table with two references: the naive way
 * (per user: check, insert, send one email; timed on a sample and extrapolated) and the floor (one SQL statement
 * writing the same rows, sending nothing). Then `what-if daily-digest min-confidence=0.6` over a week of recorded
 * digests at the largest N, through the handler as ops invokes it.
 *
 *   npm run bench                          # N = 10,000 and 100,000 on the local Postgres server
 *   npm run bench -- --sizes 10000,250000 --latency-ms 20
 *   npm run bench -- --pglite              # the embedded database instead
 *   npm run bench -- --sizes 100000 --profile   # and the time spent in each SQL function
 *   npm run bench -- --page-size 2000 --pages-in-flight 2
 *   npm run bench -- --sizes 100000 --db-rtt-ms 10   # the database 10 ms away, measured rather than projected
 *   npm run bench -- --sizes 100000 --replay         # also time replaying what a kill switch held back
 *   npm run bench -- --skip-what-if                # the digest alone
 *   npm run bench -- --sizes 100000 --quiet-hours    # also a digest with a third in quiet hours, and its release
 *   KEEP_DB=1 npm run bench                        # leave the curator_bench_* databases behind, to look into
 *   DATABASE_URL=postgres://… npm run bench
 */
import { parseArgs } from 'node:util';
import { manualClock } from '../src/adapters/clock.js';
import { jsonLogger } from '../src/adapters/json-logger.js';
import { memorySwitches } from '../src/adapters/local/switches.js';
import { sendGridMailer } from '../src/adapters/sendgrid/sendgrid-mailer.js';
import { emailPolicyJson, policyVersion, resolvePolicy } from '../src/curator/policy.js';
import { releaseEvent, replayEvent, scheduledJobEvent, whatIfEvent } from '../src/events/curator-events.js';
import { applyMigrations } from '../src/db/migrate.js';
import { openPglite } from '../src/db/pglite-client.js';
import { openPostgres } from '../src/db/postgres-client.js';
import type { SqlClient } from '../src/db/sql-client.js';
import { loadConfig } from '../src/wiring/config.js';
import { createCuratorHandler } from '../src/handlers/curator.js';
import { buildDependencies } from '../src/wiring/dependencies.js';
import { seedBenchPopulation } from './population.js';
import { cloudWatchLike, latencyProxy, sendGridLike } from './servers.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000' },
    'latency-ms': { type: 'string', default: '20' },
    'naive-sample': { type: 'string', default: '5000' },
    pglite: { type: 'boolean', default: false },
    'pages-in-flight': { type: 'string', default: '3' },
    'page-size': { type: 'string', default: '1000' },
    /** Run the digest through a relay that adds this round trip to every database exchange (server only). */
    'db-rtt-ms': { type: 'string', default: '0' },
    /** Also time replaying an evening the digest's kill switch held back, at each size. */
    replay: { type: 'boolean', default: false },
    /** Also time a digest with a third of the families in their night, and the release of what it held. */
    'quiet-hours': { type: 'boolean', default: false },
    /** Also print the time spent in each SQL function the run called. */
    profile: { type: 'boolean', default: false },
    /** Leave out timing what-if over a week of digests at the largest size. */
    'skip-what-if': { type: 'boolean', default: false },
  },
});
const sizes = args.sizes.split(',').map(Number);
const latencyMs = Number(args['latency-ms']);
const naiveSample = Number(args['naive-sample']);
const dbRttMs = Number(args['db-rtt-ms']);
if (!Number.isFinite(dbRttMs) || dbRttMs < 0) throw new Error(`--db-rtt-ms must be a number of milliseconds, got ${args['db-rtt-ms']}`);
if (dbRttMs > 0 && args.pglite) throw new Error('--db-rtt-ms needs the Postgres server: PGlite runs in this process');
if (sizes.some((n) => !Number.isInteger(n) || n < 1_000)) throw new Error(`--sizes must be integers of at least 1000, got ${args.sizes}`);

const firing = new Date('2026-11-23T20:00:00Z');
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Milliseconds and calls per SQL function (or statement's first words), for --profile. */
const spent = new Map<string, { ms: number; calls: number }>();

/** Counts statements sent, so the table can say how many round trips the run made; times them with --profile. */
function counting(sql: SqlClient): SqlClient & { trips: () => number } {
  let trips = 0;
  const wrapped: SqlClient & { trips: () => number } = {
    trips: () => trips,
    query: async (text, params) => {
      trips += 1;
      if (!args.profile) return sql.query(text, params);
      const name = /(curator_\w+|should_send_email|\w+)\s*\(/.exec(text)?.[1] ?? text.slice(0, 30);
      const started = performance.now();
      try {
        return await sql.query(text, params);
      } finally {
        const entry = spent.get(name) ?? { ms: 0, calls: 0 };
        entry.ms += performance.now() - started;
        entry.calls += 1;
        spent.set(name, entry);
      }
    },
    exec: (script) => {
      trips += 1;
      return sql.exec(script);
    },
    transaction: (work) => sql.transaction(work),
    close: () => sql.close(),
  };
  return wrapped;
}

/** The database, and the client the digest runs on: the same one, or one behind `--db-rtt-ms` of network. */
async function freshDatabase(name: string): Promise<{ sql: SqlClient; runSql: SqlClient; close: () => Promise<void> }> {
  if (args.pglite) {
    const sql = await openPglite();
    await applyMigrations(sql);
    return { sql, runSql: sql, close: () => sql.close() };
  }
  const admin = openPostgres({ connectionString: serverUrl, maxConnections: 1 });
  await admin.exec(`drop database if exists ${name} with (force)`);
  await admin.exec(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const sql = openPostgres({ connectionString: url.toString(), maxConnections: 4 });
  await applyMigrations(sql);
  const proxy = dbRttMs > 0 ? await latencyProxy({ host: url.hostname, port: Number(url.port || 5432) }, dbRttMs / 2) : null;
  const viaProxy = new URL(url);
  if (proxy) viaProxy.host = `127.0.0.1:${proxy.port}`;
  const runSql = proxy ? openPostgres({ connectionString: viaProxy.toString(), maxConnections: 4 }) : sql;
  return {
    sql,
    runSql,
    close: async () => {
      if (proxy) {
        await runSql.close();
        await proxy.close();
      }
      await sql.close();
      if (!process.env.KEEP_DB) await admin.exec(`drop database if exists ${name} with (force)`);
      await admin.close();
    },
  };
}

/** The naive job, per user: read the signal, ask should_send_email(), insert the execution, insert the log, send, mark it. */
async function naive(sql: SqlClient, sendgridUrl: string, sample: number): Promise<number> {
  const mailer = sendGridMailer({ apiKey: 'SG.bench', from: { email: 'hello@storytailor.test' }, baseUrl: sendgridUrl });
  const policy = JSON.stringify(emailPolicyJson(resolvePolicy('daily_digest').policy));
  const users = await sql.query<{ id: string; email: string }>(`select id, email from users where is_active order by id limit $1`, [sample]);
  const started = performance.now();
  for (const user of users) {
    const [signal] = await sql.query<{ n: number; engaged: number }>(
      `select count(*)::int as n, count(*) filter (where event_type = 'completed')::int as engaged from consumption_metrics
       where user_id = $1 and occurred_at >= $2::timestamptz - interval '1 day' and occurred_at < $2`,
      [user.id, firing],
    );
    const [gate] = await sql.query<{ ok: boolean }>(`select should_send_email($1, 'daily_digest', $2::jsonb, $3) as ok`, [user.id, policy, firing]);
    const send = gate!.ok && signal!.n >= 1 && signal!.engaged / signal!.n >= 0.5;
    const [execution] = await sql.query<{ id: string }>(
      `insert into pipeline_executions (pipeline_type, pipeline_name, subject_key, period_key, user_id, status, vetoed, veto_reason, completed_at)
       values ('daily_digest', 'daily-digest', $1::text, 'naive', $1::uuid, $2, $3::boolean, $4, case when $3::boolean then now() end) returning id`,
      [user.id, send ? 'pending' : 'vetoed', !send, send ? null : 'LOW_CONFIDENCE'],
    );
    if (!send) continue;
    const [log] = await sql.query<{ id: string }>(
      `insert into email_delivery_log (execution_id, user_id, email_type, status) values ($1, $2, 'daily_digest', 'queued') returning id`,
      [execution!.id, user.id],
    );
    const [outcome] = await mailer.send([{ executionId: execution!.id, userId: user.id, to: user.email, emailType: 'daily_digest', templateId: 'd-bench', templateData: { n: signal!.n } }]);
    await sql.query(`update email_delivery_log set status = $2, sent_at = now() where id = $1`, [log!.id, outcome!.status === 'sent' ? 'sent' : 'failed']);
    await sql.query(`update pipeline_executions set status = 'succeeded', completed_at = now() where id = $1`, [execution!.id]);
  }
  return (performance.now() - started) / 1_000;
}

/** The floor: one statement that writes every execution row and every log row of the digest, and sends nothing. */
async function floor(sql: SqlClient): Promise<number> {
  const started = performance.now();
  await sql.query(
    `with signals as (
       select user_id, count(*) as n, count(*) filter (where event_type = 'completed') as engaged
       from consumption_metrics where occurred_at >= $1::timestamptz - interval '1 day' and occurred_at < $1 group by user_id
     ), decided as (
       select u.id, coalesce(s.n, 0) >= 1 and coalesce(s.engaged, 0)::float8 / greatest(s.n, 1) >= 0.5
              and not exists (select 1 from email_preferences p where p.user_id = u.id and not p.enabled)
              and not exists (select 1 from email_suppressions x where x.email = u.email) as send
       from users u left join signals s on s.user_id = u.id where u.is_active
     ), executions as (
       insert into pipeline_executions (pipeline_type, pipeline_name, subject_key, period_key, user_id, status, vetoed, veto_reason, completed_at)
       select 'daily_digest', 'daily-digest', id::text, 'floor', id, case when send then 'succeeded' else 'vetoed' end, not send,
              case when send then null else 'LOW_CONFIDENCE' end, now()
       from decided returning id, user_id, status)
     insert into email_delivery_log (execution_id, user_id, email_type, status, sent_at)
     select id, user_id, 'daily_digest', 'sent', now() from executions where status = 'succeeded'`,
    [firing],
  );
  return (performance.now() - started) / 1_000;
}

interface Row {
  readonly n: number;
  readonly wall: number;
  readonly decisions: number;
  readonly trips: number;
  readonly sendgrid: number;
  readonly putMetricData: number;
  readonly rssMb: number;
  readonly naive: number;
  readonly floor: number;
}

/** A seeded database with the SendGrid and CloudWatch stand-ins, and the curator's handler over them. */
async function benchSetUp(name: string, n: number, switches: ReturnType<typeof memorySwitches>, options: { zones?: boolean } = {}) {
  const database = await freshDatabase(name);
  const sendgrid = await sendGridLike(latencyMs);
  const cloudwatch = await cloudWatchLike(latencyMs);
  process.stderr.write(`seeding ${n.toLocaleString('en-US')} families… `);
  await seedBenchPopulation(database.sql, n, firing, options);
  const sql = counting(database.runSql);
  process.env.AWS_ACCESS_KEY_ID = 'bench';
  process.env.AWS_SECRET_ACCESS_KEY = 'bench';
  const config = loadConfig({
    CURATOR_ENV: 'production',
    SENDGRID_API_KEY: 'SG.bench-key',
    SENDGRID_BASE_URL: sendgrid.url,
    CURATOR_FROM_EMAIL: 'hello@storytailor.test',
    CURATOR_TEMPLATES: JSON.stringify({ daily_digest: 'd-daily-digest' }),
    CURATOR_METRICS: 'cloudwatch',
    AWS_ENDPOINT_URL: cloudwatch.url,
    AWS_REGION: 'us-east-1',
    CURATOR_PAGES_IN_FLIGHT: args['pages-in-flight'],
    CURATOR_PAGE_SIZE: args['page-size'],
  });
  const clock = manualClock(new Date(firing.getTime() + 1_000));
  const deps = await buildDependencies(config, { sql, switches, clock, logger: jsonLogger(() => undefined) });
  const handler = createCuratorHandler(async () => deps);
  return {
    database,
    sendgrid,
    cloudwatch,
    sql,
    clock,
    handler,
    // Each timed part starts from the same state: the writes before it flushed, so no checkpoint lands inside it.
    settle: () => database.sql.exec('checkpoint'),
    /** Runs one event through the handler: its summary, wall seconds and round trips. */
    timed: async (event: Record<string, unknown>) => {
      const tripsBefore = sql.trips();
      const started = performance.now();
      const summary = await handler(event);
      const wall = (performance.now() - started) / 1_000;
      if (!summary.ok) throw new Error(summary.error);
      if (!('tally' in summary)) throw new Error(`the ${summary.kind} answer has no tally`);
      return { summary, wall, trips: sql.trips() - tripsBefore };
    },
    close: async () => {
      await sendgrid.close();
      await cloudwatch.close();
      await database.close();
    },
  };
}

const digestEvent = (id: string) => scheduledJobEvent({ jobType: 'daily_digest', time: firing.toISOString(), id });

async function measure(n: number): Promise<Row> {
  const bench = await benchSetUp(`curator_bench_${n}`, n, memorySwitches());
  try {
    await bench.settle();
    process.stderr.write('running the daily digest… ');
    const { summary, wall, trips } = await bench.timed(digestEvent(`bench-${n}`));
    const sendgridRequests = bench.sendgrid.requests();
    // Peak so far: the seeding runs in the database, so this is the run's own peak plus the process at rest.
    const rssMb = process.resourceUsage().maxRSS / 1024;
    await bench.settle();
    process.stderr.write('naive sample… ');
    const sample = Math.min(naiveSample, n);
    const naiveSeconds = ((await naive(bench.database.runSql, bench.sendgrid.url, sample)) * n) / sample;
    await bench.settle();
    process.stderr.write('floor…\n');
    const floorSeconds = await floor(bench.database.runSql);
    return {
      n,
      wall,
      decisions: summary.tally.candidates,
      trips,
      sendgrid: sendgridRequests,
      putMetricData: bench.cloudwatch.requests(),
      rssMb,
      naive: naiveSeconds,
      floor: floorSeconds,
    };
  } finally {
    await bench.close();
  }
}

interface WhatIfRow {
  readonly n: number;
  readonly decisions: number;
  readonly changed: number;
  readonly wall: number;
  readonly trips: number;
}

/**
 * `ops what-if daily-digest min-confidence=0.6` over a week of recorded digests at N families (7 x N decisions, with
 * their facts and policy as curator_record_decisions keeps them), through the handler as ops invokes it.
 */
async function measureWhatIf(n: number): Promise<WhatIfRow> {
  const bench = await benchSetUp(`curator_bench_what_if_${n}`, n, memorySwitches());
  try {
    process.stderr.write('recording a week of digests… ');
    const version = policyVersion(resolvePolicy('daily_digest').policy);
    await bench.database.sql.query(`insert into decision_policies (hash, pipeline_type, policy, first_used_at) values ($1, 'daily_digest', $2::jsonb, $3)`, [
      version.hash,
      JSON.stringify(version.policy),
      firing,
    ]);
    // 80 % sent (confidence 0.5 to 1), 10 % held for low confidence, 10 % for no signal; the facts a digest keeps.
    await bench.database.sql.query(
      `insert into pipeline_executions as e (pipeline_type, pipeline_name, subject_key, period_key, user_id, status, vetoed, veto_reason,
                                        confidence_score, signal_count, policy_hash, decision_facts, completed_at, started_at, created_at)
       select 'daily_digest', 'daily-digest', u.id::text, to_char(t.at, 'YYYY-MM-DD'), u.id,
              case when k.n % 10 < 8 then 'succeeded' else 'vetoed' end, k.n % 10 >= 8,
              case k.n % 10 when 8 then 'LOW_CONFIDENCE' when 9 then 'INSUFFICIENT_SIGNAL' end,
              case when k.n % 10 = 9 then null when k.n % 10 = 8 then 0 else 0.5 + ((k.n + d) % 6) / 10.0 end,
              case when k.n % 10 = 9 then 0 else 1 + (k.n + d) % 3 end,
              $2, jsonb_build_object('windowCounts', jsonb_build_array(1, least(6, d)), 'emailsThisRun', (k.n * 4) / 5),
              t.at, t.at, t.at
       from users u
       cross join lateral (select ('x' || right(u.id::text, 12))::bit(48)::bigint as n) k
       cross join generate_series(0, 6) d
       cross join lateral (select $1::timestamptz - d * interval '1 day' as at) t
       on conflict on constraint pipeline_executions_once do update set
         status = excluded.status, vetoed = excluded.vetoed, veto_reason = excluded.veto_reason,
         confidence_score = excluded.confidence_score, signal_count = excluded.signal_count,
         policy_hash = excluded.policy_hash, decision_facts = excluded.decision_facts`,
      [firing, version.hash],
    );
    await bench.database.sql.exec('analyze');
    await bench.settle();
    process.stderr.write('what-if…\n');
    const tripsBefore = bench.sql.trips();
    const started = performance.now();
    const answer = await bench.handler(whatIfEvent({ scope: 'daily-digest', changes: { 'min-confidence': '0.6' }, days: 7 }));
    const wall = (performance.now() - started) / 1_000;
    if (!answer.ok || answer.kind !== 'what_if') throw new Error(answer.ok ? `a ${answer.kind} answer` : answer.error);
    return { n, decisions: answer.report.redecided, changed: answer.report.changed, wall, trips: bench.sql.trips() - tripsBefore };
  } finally {
    await bench.close();
  }
}

interface ReplayRow {
  readonly n: number;
  readonly switchedOff: number;
  readonly replay: number;
  readonly decisions: number;
  readonly sent: number;
  readonly trips: number;
  readonly sendgrid: number;
}

/**
 * The 3 a.m. case: the digest fires with its kill switch off (every family vetoed KILL_SWITCH_ACTIVE), the switch
 * goes back on, and on-call replays what the switch held back (`vetoReason` and a time range).
 */
async function measureReplay(n: number): Promise<ReplayRow> {
  const switches = memorySwitches({ 'daily-digest/enabled': 'false' });
  const bench = await benchSetUp(`curator_bench_replay_${n}`, n, switches);
  try {
    await bench.settle();
    process.stderr.write('the digest with its switch off… ');
    const off = await bench.timed(digestEvent(`bench-off-${n}`));
    switches.set('daily-digest/enabled', 'true');
    bench.clock.set(new Date(firing.getTime() + 3_600_000));
    const requestsBefore = bench.sendgrid.requests();
    await bench.settle();
    process.stderr.write('the replay…\n');
    const replay = await bench.timed(
      replayEvent(
        {
          jobType: 'daily_digest',
          vetoReason: 'KILL_SWITCH_ACTIVE',
          from: new Date(firing.getTime() - 3_600_000).toISOString(),
          to: new Date(firing.getTime() + 3_600_000).toISOString(),
        },
        `bench-replay-${n}`,
      ),
    );
    return {
      n,
      switchedOff: off.wall,
      replay: replay.wall,
      decisions: replay.summary.tally.candidates,
      sent: replay.summary.tally.emailsSent,
      trips: replay.trips,
      sendgrid: bench.sendgrid.requests() - requestsBefore,
    };
  } finally {
    await bench.close();
  }
}

interface QuietHoursRow {
  readonly n: number;
  readonly digest: number;
  readonly digestTrips: number;
  readonly held: number;
  readonly release: number;
  readonly released: number;
  readonly releaseTrips: number;
  readonly sendgrid: number;
}

/**
 * The digest at 20:00 UTC with a third of the families in Mumbai (01:30 there: held until 08:00, 02:30 UTC), then the
 * quiet-hours release at 02:30 UTC sending what it held, both through the real handler.
 */
async function measureQuietHours(n: number): Promise<QuietHoursRow> {
  const bench = await benchSetUp(`curator_bench_quiet_${n}`, n, memorySwitches(), { zones: true });
  try {
    await bench.settle();
    process.stderr.write('the digest, a third in quiet hours… ');
    const digest = await bench.timed(digestEvent(`bench-quiet-${n}`));
    bench.clock.set(new Date('2026-11-24T02:30:00Z'));
    const requestsBefore = bench.sendgrid.requests();
    await bench.settle();
    process.stderr.write('the release…\n');
    const release = await bench.timed(releaseEvent(`bench-release-${n}`));
    return {
      n,
      digest: digest.wall,
      digestTrips: digest.trips,
      held: digest.summary.tally.vetoed.QUIET_HOURS ?? 0,
      release: release.wall,
      released: release.summary.tally.emailsSent,
      releaseTrips: release.trips,
      sendgrid: bench.sendgrid.requests() - requestsBefore,
    };
  } finally {
    await bench.close();
  }
}

const rows: Row[] = [];
for (const n of sizes) rows.push(await measure(n));

const fmt = (value: number, digits = 1) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const header = ['N', 'wall s', 'decisions/s', 'DB trips', 'per 1k', 'SendGrid req', 'per 1k', 'PutMetricData', 'peak RSS MB', 'naive s*', 'floor s', 'ours/naive', 'ours/floor', 'at 10 ms RTT s'];
const lines = rows.map((row) => [
  row.n.toLocaleString('en-US'),
  fmt(row.wall, 2),
  fmt(row.decisions / row.wall, 0),
  String(row.trips),
  fmt((row.trips * 1_000) / row.n, 2),
  String(row.sendgrid),
  fmt((row.sendgrid * 1_000) / row.n, 2),
  String(row.putMetricData),
  fmt(row.rssMb, 0),
  fmt(row.naive, 0),
  fmt(row.floor, 2),
  `1/${fmt(row.naive / row.wall, 0)}`,
  fmt(row.wall / row.floor, 2),
  dbRttMs > 0 ? 'measured' : fmt(row.wall + row.trips * 0.01, 2),
]);
const widths = header.map((cell, i) => Math.max(cell.length, ...lines.map((line) => line[i]!.length)));
const print = (cells: string[]) => console.log(cells.map((cell, i) => cell.padStart(widths[i]!)).join('  '));
console.log(
  `\nDaily digest through the real handler; ${args.pglite ? 'PGlite' : dbRttMs > 0 ? `Postgres server ${dbRttMs} ms (round trip) away` : 'Postgres server'}; SendGrid and CloudWatch stand-ins answering after ${latencyMs} ms; pages of ${args['page-size']}, ${args['pages-in-flight']} in flight`,
);
print(header);
for (const line of lines) print(line);
console.log(`* naive: timed on ${naiveSample.toLocaleString('en-US')} families (one check, two inserts, one email, two updates each) and extrapolated to N`);
const largest = rows.find((row) => row.n === 100_000);
if (largest) {
  const check = (ok: boolean) => (ok ? 'met' : 'MISSED');
  console.log('\nTargets at N = 100,000:');
  console.log(`  wall under 10 s ............................ ${fmt(largest.wall, 2)} s  ${check(largest.wall < 10)}`);
  console.log(`  at most 5 DB round trips per 1,000 ......... ${fmt((largest.trips * 1_000) / largest.n, 2)}  ${check((largest.trips * 1_000) / largest.n <= 5)}`);
  console.log(`  at most 1 SendGrid request per 1,000 ....... ${fmt((largest.sendgrid * 1_000) / largest.n, 2)}  ${check((largest.sendgrid * 1_000) / largest.n <= 1)}`);
  console.log(`  peak RSS under 256 MB ...................... ${fmt(largest.rssMb, 0)} MB  ${check(largest.rssMb < 256)}`);
  console.log(`  ours/naive under 1/20 ...................... 1/${fmt(largest.naive / largest.wall, 0)}  ${check(largest.wall / largest.naive < 1 / 20)}`);
  console.log(`  ours/floor under 3 ......................... ${fmt(largest.wall / largest.floor, 2)}  ${check(largest.wall / largest.floor < 3)}`);
  if (dbRttMs === 0) console.log(`  projected with a 10 ms database round trip . ${fmt(largest.wall + largest.trips * 0.01, 2)} s`);
  else console.log(`  (every part above ran ${dbRttMs} ms of round trip away from the database: the targets are set for local Postgres)`);
}
if (args.replay) {
  const replays: ReplayRow[] = [];
  for (const n of sizes) replays.push(await measureReplay(n));
  console.log('\nReplaying what the kill switch held back (vetoReason KILL_SWITCH_ACTIVE), through the real handler:');
  const replayHeader = ['N', 'switched-off run s', 'replay s', 'decisions/s', 'sent', 'DB trips', 'per 1k', 'SendGrid req'];
  const replayLines = replays.map((row) => [
    row.n.toLocaleString('en-US'),
    fmt(row.switchedOff, 2),
    fmt(row.replay, 2),
    fmt(row.decisions / row.replay, 0),
    row.sent.toLocaleString('en-US'),
    String(row.trips),
    fmt((row.trips * 1_000) / row.n, 2),
    String(row.sendgrid),
  ]);
  const replayWidths = replayHeader.map((cell, i) => Math.max(cell.length, ...replayLines.map((line) => line[i]!.length)));
  for (const line of [replayHeader, ...replayLines]) console.log(line.map((cell, i) => cell.padStart(replayWidths[i]!)).join('  '));
}
if (args['quiet-hours']) {
  const quiet: QuietHoursRow[] = [];
  for (const n of sizes) quiet.push(await measureQuietHours(n));
  console.log('\nQuiet hours: the digest with a third of the families in Mumbai (01:30 there), then the release at 08:00 there:');
  const quietHeader = ['N', 'digest s', 'DB trips', 'per 1k', 'held', 'release s', 'released', 'decisions/s', 'DB trips', 'SendGrid req'];
  const quietLines = quiet.map((row) => [
    row.n.toLocaleString('en-US'),
    fmt(row.digest, 2),
    String(row.digestTrips),
    fmt((row.digestTrips * 1_000) / row.n, 2),
    row.held.toLocaleString('en-US'),
    fmt(row.release, 2),
    row.released.toLocaleString('en-US'),
    fmt(row.released / row.release, 0),
    String(row.releaseTrips),
    String(row.sendgrid),
  ]);
  const quietWidths = quietHeader.map((cell, i) => Math.max(cell.length, ...quietLines.map((line) => line[i]!.length)));
  for (const line of [quietHeader, ...quietLines]) console.log(line.map((cell, i) => cell.padStart(quietWidths[i]!)).join('  '));
}
if (!args['skip-what-if']) {
  const whatIf = await measureWhatIf(Math.max(...sizes));
  console.log(
    `\nwhat-if daily-digest min-confidence=0.6 over a week of ${whatIf.n.toLocaleString('en-US')}-family digests, through the handler: ` +
      `${whatIf.decisions.toLocaleString('en-US')} decisions made again in ${fmt(whatIf.wall, 2)} s (${fmt(whatIf.decisions / whatIf.wall, 0)}/s), ` +
      `${whatIf.changed.toLocaleString('en-US')} would change, ${whatIf.trips} DB trips`,
  );
}
if (args.profile) {
  console.log('\nTime in the database by function (summed over concurrent calls, so it can exceed the wall time):');
  for (const [name, entry] of [...spent].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`  ${name.padEnd(36)} ${String(entry.calls).padStart(6)} calls  ${fmt(entry.ms / 1_000, 2).padStart(8)} s  ${fmt(entry.ms / entry.calls, 1).padStart(7)} ms each`);
  }
}
process.exit(0);
