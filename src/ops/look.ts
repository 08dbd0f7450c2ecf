import { capStandings } from '../curator/caps.js';
import { checkPeriod } from '../events/request-contract.js';
import { resolvePolicy } from '../curator/policy.js';
import { isJobType, jobTypes, pipelineOf } from '../pipelines/index.js';
import { storeFunctions } from '../store/functions.js';
import type { EventProgress, RunDetail } from '../store/rows.js';
import type { OpsContext } from './context.js';
import { readTunables } from './parameters.js';
import { ExitCode, explain, OpsError } from './errors.js';
import { formatTable, maskEmail, took, when } from './table.js';

/** How ops asked to see it: tables for people, or one JSON document for scripts. */
export interface Shown {
  readonly json: boolean;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `24h`, `90m`, `7d`: how far back. */
export function parseSince(text: string): number {
  const match = /^(\d+)\s*(m|h|d)$/.exec(text.trim());
  if (!match) throw new OpsError(ExitCode.usage, `--since must be minutes, hours or days such as 90m, 24h or 7d, got ${text}`);
  return Number(match[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'm' | 'h' | 'd'];
}

async function read<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw explain(error, what);
  }
}

const durationOf = (started: string, completed: string | null) => (completed === null ? null : Date.parse(completed) - Date.parse(started));
const vetoLine = (vetoed: unknown) =>
  Object.entries((vetoed as Record<string, number> | undefined) ?? {})
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');

/** `runs [--job J] [--since 24h]`: the recent runs, newest first. */
export async function listRuns(context: OpsContext, input: { job: string | null; sinceMs: number; shown: Shown }): Promise<ExitCode> {
  if (input.job !== null && !isJobType(input.job)) throw new OpsError(ExitCode.usage, `unknown jobType "${input.job}": expected one of ${jobTypes.join(', ')}`);
  const store = await context.store();
  const since = new Date(context.clock.now().getTime() - input.sinceMs);
  const runs = await read('reading the runs', () => store.call(storeFunctions.runs, { jobType: input.job, since, limit: 200 }));
  if (input.shown.json) {
    context.out(JSON.stringify(runs, null, 2));
    return ExitCode.ok;
  }
  if (runs.length === 0) {
    context.out(`no runs${input.job ? ` of ${input.job}` : ''} since ${when(since)}`);
    return ExitCode.ok;
  }
  const rows = runs.map((run) => [
    when(run.started_at),
    run.job_type,
    run.period_key,
    run.status,
    run.population === null ? String(run.candidates) : `${run.candidates}/${run.population}`,
    String(run.executed),
    String(run.vetoed),
    String(run.failed),
    took(durationOf(run.started_at, run.completed_at)),
    run.shards === null || run.shards === undefined ? String(run.continuations) : `${run.continuations}, shards ${run.shards_done}/${run.shards}`,
    run.replays === 0
      ? run.trigger === 'replay' ? 'is a replay' : ''
      : `${run.replays}x, last: executed ${run.replay_counts?.executed ?? 0}, vetoed ${run.replay_counts?.vetoed ?? 0}, failed ${run.replay_counts?.failed ?? 0}`,
    run.error ?? '',
  ]);
  for (const line of formatTable(['started (UTC)', 'job', 'period', 'status', 'decided', 'executed', 'vetoed', 'failed', 'took', 'continued', 'replayed', 'error'], rows)) {
    context.out(line);
  }
  return ExitCode.ok;
}

/** A run named by its id, or `jobType[:periodKey]` (the newest run of the job without a period). */
function runReference(reference: string): { runId: string | null; jobType: string | null; periodKey: string | null } {
  if (uuid.test(reference)) return { runId: reference, jobType: null, periodKey: null };
  const [jobType, ...period] = reference.split(':');
  if (!jobType || !isJobType(jobType)) {
    throw new OpsError(ExitCode.usage, `a run is its id or jobType[:periodKey], such as daily_digest:2026-11-23; got ${reference}`);
  }
  const periodKey = period.length > 0 ? period.join(':') : null;
  // A replay of held actions runs under its own key (replay:<reason>:<from>/<to>); any other must be a real period.
  if (periodKey !== null && !periodKey.startsWith('replay:')) {
    const refused = checkPeriod(jobType, periodKey, { now: null, dryRun: true });
    if (refused !== null) throw new OpsError(ExitCode.usage, `${reference}: ${refused.reason}`);
  }
  return { runId: null, jobType, periodKey };
}

/** `run <runId|jobType[:periodKey]>`: one run in full, its timeline, its decisions, its dry runs. */
export async function showRun(context: OpsContext, reference: string, shown: Shown): Promise<ExitCode> {
  const store = await context.store();
  const detail = await read('reading the run', () => store.call(storeFunctions.run, runReference(reference)));
  if (detail === null) throw new OpsError(ExitCode.failed, `no run ${reference}`);
  if (shown.json) {
    context.out(JSON.stringify(detail, null, 2));
    return ExitCode.ok;
  }
  for (const line of describeRun(detail)) context.out(line);
  return ExitCode.ok;
}

/** The lines `ops run` prints for a run: the row, the timeline, the decisions, what is pending, the dry runs. */
export function describeRun(detail: NonNullable<RunDetail>): string[] {
  const { run } = detail;
  const replay = run.replay_attempt_id ? detail.attempts.find((attempt) => attempt.id === run.replay_attempt_id) : undefined;
  const counts = (c: { candidates: number; executed: number; skipped: number; vetoed: number; failed: number; escalated: number }) =>
    `executed ${c.executed}, skipped ${c.skipped}, vetoed ${c.vetoed}, failed ${c.failed}, escalated ${c.escalated}`;
  const lines = [
    `run ${run.id}: ${run.job_type} ${run.period_key}, ${run.status}${run.error ? ` — ${run.error}` : ''}`,
    `  ${run.trigger === 'schedule' ? 'fired' : 'started by a replay'} ${when(run.started_at)}` +
      `${run.completed_at ? `, finished ${when(run.completed_at)} (${took(durationOf(run.started_at, run.completed_at))})` : ', not finished'}, attempt ${run.attempt}` +
      `${run.shards ? `, ${run.shards} shards` : ''}`,
    `  ${run.trigger === 'schedule' ? 'the firing ' : ''}decided ${run.candidates}${run.population ? ` of ${run.population}` : ''}: ${counts(run)}`,
    ...(run.replay_attempt_id
      ? [
          `  REPLAYED${replay ? ` ${when(replay.started_at)}${replay.event_id ? ` (event ${replay.event_id})` : ''}` : ''}: ` +
            `decided ${run.replay_counts?.candidates ?? 0}: ${run.replay_counts ? counts(run.replay_counts) : 'nothing yet'}; the run's status is the replay's`,
        ]
      : []),
    '',
    'timeline',
    ...formatTable(
      ['started (UTC)', 'attempt', 'event / request', 'outcome', 'counts', 'took'],
      detail.attempts.map((attempt) => {
        const summary = attempt.summary as { executed?: number; candidates?: number; vetoed?: unknown; durationMs?: number };
        return [
          when(attempt.started_at),
          `${attempt.kind}${attempt.shard === null ? '' : ` ${attempt.shard}`}`,
          [attempt.event_id, attempt.request_id].filter(Boolean).join(' / '),
          `${attempt.outcome}${attempt.reason ? ` (${attempt.reason})` : ''}${attempt.error ? `: ${attempt.error}` : ''}`,
          summary.candidates === undefined ? '' : `${summary.candidates} decided, ${summary.executed ?? 0} executed${vetoLine(summary.vetoed) ? `, vetoed ${vetoLine(summary.vetoed)}` : ''}`,
          took(summary.durationMs ?? null),
        ];
      }),
    ).map((line) => `  ${line}`),
    '',
    detail.held_replays.length > 0 ? 'decisions of the period as they stand (the run\'s and the replays\' below)' : 'decisions',
    ...formatTable(['status', 'veto reason', 'count'], detail.outcomes.map((outcome) => [outcome.status, outcome.veto_reason ?? '', String(outcome.n)])).map(
      (line) => `  ${line}`,
    ),
    `  still pending: ${detail.pending}`,
  ];
  if (detail.held_replays.length > 0) {
    lines.push('', 'replays of held actions that decided some of this period again');
    lines.push(
      ...formatTable(
        ['started (UTC)', 'run', 'event', 'status', 'decided of this period'],
        detail.held_replays.map((held) => [
          when(held.started_at),
          `${held.run_id} (${held.period_key})`,
          held.event_id ?? '',
          held.status,
          Object.entries(held.outcomes)
            .map(([outcome, n]) => `${outcome} ${n}`)
            .join(', '),
        ]),
      ).map((line) => `  ${line}`),
    );
  }
  if (detail.shards.length > 0) {
    lines.push('', 'shards');
    lines.push(
      ...formatTable(
        ['shard', 'status', 'attempt', 'decided', 'executed', 'vetoed', 'failed', 'error'],
        detail.shards.map((shard) => [String(shard.shard), shard.status, String(shard.attempt), String(shard.candidates), String(shard.executed), String(shard.vetoed), String(shard.failed), shard.error ?? '']),
      ).map((line) => `  ${line}`),
    );
  }
  if (detail.dry_runs.length > 0) {
    lines.push('', 'dry runs of this job and period');
    for (const dry of detail.dry_runs) lines.push(...describeDryRun(dry.report, dry.requested_at).map((line) => `  ${line}`));
  }
  return lines;
}

/** What a dry run would have done, beside the last real run it was compared with. */
export function describeDryRun(report: Record<string, unknown>, at: string): string[] {
  const tally = report.tally as { candidates: number; executed: number; skipped: number; unchanged?: number; vetoed: Record<string, number>; escalated: number };
  const last = report.lastRealRun as { period_key: string; status: string; executed: number; vetoed: number; veto_reasons: Record<string, number> } | null;
  return [
    `dry run ${when(at)}: would decide ${tally.candidates}: execute ${tally.executed}, skip ${tally.skipped}, veto ${Object.values(tally.vetoed).reduce((sum, n) => sum + n, 0)}` +
      `${vetoLine(tally.vetoed) ? ` (${vetoLine(tally.vetoed)})` : ''}, escalate ${tally.escalated}` +
      `${tally.unchanged ? `; ${tally.unchanged} decided before and left as they are` : ''}`,
    last === null
      ? '  the last real run: none yet'
      : `  the last real run (${last.period_key}, ${last.status}): executed ${last.executed}, vetoed ${last.vetoed}${vetoLine(last.veto_reasons) ? ` (${vetoLine(last.veto_reasons)})` : ''}`,
  ];
}

/** `event <eventId>`: what became of an event ops published (the replay, or its dry run). */
export function describeEvent(progress: EventProgress, eventId: string): string[] {
  if (progress.dry_run !== null) return describeDryRun(progress.dry_run.report, progress.dry_run.requested_at);
  if (progress.attempts.length === 0) return [`event ${eventId}: not taken by the curator yet`];
  const lines = progress.attempts.map((attempt) => {
    const summary = attempt.summary as { candidates?: number; executed?: number; vetoed?: unknown };
    return `${when(attempt.started_at)}  ${attempt.kind}  ${attempt.outcome}${attempt.reason ? ` (${attempt.reason})` : ''}${attempt.error ? `: ${attempt.error}` : ''}` +
      `${summary.candidates === undefined ? '' : `  ${summary.candidates} decided, ${summary.executed ?? 0} executed${vetoLine(summary.vetoed) ? `, vetoed ${vetoLine(summary.vetoed)}` : ''}`}`;
  });
  if (progress.run) lines.push(`run ${progress.run.id}: ${progress.run.job_type} ${progress.run.period_key}, ${progress.run.status}, executed ${progress.run.executed}, vetoed ${progress.run.vetoed}, failed ${progress.run.failed}`);
  return lines;
}

/**
 * Whether the curator is done with an event: its dry run reported, or its attempt finished. An attempt that handed
 * the run on (continued, fanned out to shards) or found it held by another invocation is done when the run is.
 */
export function eventDone(progress: EventProgress): { done: boolean; failed: boolean } {
  if (progress.dry_run !== null) return { done: true, failed: false };
  const latest = progress.attempts.at(-1);
  if (latest === undefined || latest.outcome === 'running') return { done: false, failed: false };
  if (latest.outcome === 'succeeded' || latest.outcome === 'failed') return { done: true, failed: latest.outcome === 'failed' };
  return { done: progress.run === null || progress.run.status !== 'running', failed: progress.run?.status === 'failed' || progress.run?.status === 'stuck' };
}

/** `family <userId>`: one family's story, and where it stands against the caps now. */
export async function showFamily(context: OpsContext, userId: string, shown: Shown): Promise<ExitCode> {
  if (!uuid.test(userId)) throw new OpsError(ExitCode.usage, `a family is its user id (a uuid), got ${userId}`);
  const store = await context.store();
  const now = context.clock.now();
  const story = await read('reading the family', () => store.call(storeFunctions.family, { userId, at: now, limit: 50 }));
  if (story.user === null) throw new OpsError(ExitCode.failed, `no family with user id ${userId}`);
  // The caps as the curator applies them: its defaults, with any override in SSM; unreadable SSM is said, not fatal.
  let parameters = new Map<string, string>();
  let parametersNote: string | null = null;
  try {
    parameters = await readTunables(context);
  } catch (error) {
    parametersNote = `SSM unreadable (${explain(error, 'reading the tunables').message}): caps shown with the defaults of DESIGN.md`;
  }
  const policies = jobTypes.filter((jobType) => pipelineOf(jobType).channel === 'email').map((jobType) => resolvePolicy(jobType, parameters).policy);
  const caps = capStandings(policies, story.cap_emails.map((email) => ({ emailType: email.email_type, queuedAt: new Date(email.queued_at) })), now);
  const user = { ...story.user, email: maskEmail(story.user.email) };
  if (shown.json) {
    context.out(JSON.stringify({ ...story, user, cap_emails: undefined, caps, caps_note: parametersNote }, null, 2));
    return ExitCode.ok;
  }
  const section = (title: string, header: readonly string[], rows: ReadonlyArray<readonly string[]>) => {
    context.out('');
    context.out(title);
    if (rows.length === 0) context.out('  none');
    else for (const line of formatTable(header, rows)) context.out(`  ${line}`);
  };
  context.out(
    `family ${user.id}: ${user.email}, ${user.first_name ?? 'no first name'}, ${user.is_active ? 'active' : 'inactive'}, ` +
      `${user.has_stripe_customer ? 'has a Stripe customer' : 'no Stripe customer (credits veto NO_PAYMENT_ACCOUNT)'}`,
  );
  section(
    'decisions (newest first)',
    ['when (UTC)', 'pipeline', 'period', 'outcome', 'veto reason', 'confidence', 'signals', 'error'],
    story.decisions.map((decision) => [
      when(decision.created_at),
      decision.pipeline_type,
      decision.period_key,
      decision.status,
      decision.veto_reason ?? '',
      decision.confidence_score === null ? '' : decision.confidence_score.toFixed(2),
      decision.signal_count === null ? '' : String(decision.signal_count),
      decision.error ?? '',
    ]),
  );
  section(
    'emails',
    ['queued (UTC)', 'type', 'status', 'sent (UTC)', 'last event', 'error'],
    story.emails.map((email) => [when(email.queued_at), email.email_type, email.status, when(email.sent_at), when(email.last_event_at), email.error ?? '']),
  );
  section(
    'credits (the ledger)',
    ['created (UTC)', 'cents', 'source', 'status', 'Stripe', 'expires', 'error'],
    story.ledger.map((row) => [when(row.created_at), String(row.amount), row.source, row.status, row.stripe_balance_transaction_id ?? '', when(row.expires_at), row.error_message ?? '']),
  );
  section('referrals made', ['created (UTC)', 'status', 'reward', 'converted'], story.referrals.map((row) => [when(row.created_at), row.status, row.reward_status, when(row.converted_at)]));
  section('suppressed address', ['since (UTC)', 'reason'], story.suppressions.map((row) => [when(row.created_at), row.reason]));
  section('email preferences (no row: subscribed)', ['type', 'enabled'], story.preferences.map((row) => [row.email_type, String(row.enabled)]));
  section(
    `caps now (${when(now)} UTC; queued and sent emails count)`,
    ['cap', 'in window', 'frees up (UTC)'],
    caps.map((cap) => [cap.cap, `${cap.count} of ${cap.max}`, cap.freesAt === null ? 'open' : when(cap.freesAt)]),
  );
  if (parametersNote !== null) context.out(`  ${parametersNote}`);
  return ExitCode.ok;
}
