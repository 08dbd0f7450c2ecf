import type { EventProgress, LastRun, RunDetail } from '../store/rows.js';
import { ExitCode, explain, OpsError } from './errors.js';
import { compareDryRun, comparisonTable, type DryRunTally } from '../format/dry-run-comparison.js';
import { formatTable, took, when } from '../format/table.js';

export type { Shown } from './command.js';

export const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `24h`, `90m`, `7d`: how far back. */
export function parseSince(text: string): number {
  const match = /^(\d+)\s*(m|h|d)$/.exec(text.trim());
  if (!match) throw new OpsError(ExitCode.usage, `--since must be minutes, hours or days such as 90m, 24h or 7d, got ${text}`);
  return Number(match[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'm' | 'h' | 'd'];
}

export async function read<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw explain(error, what);
  }
}

export const durationOf = (started: string, completed: string | null) => (completed === null ? null : Date.parse(completed) - Date.parse(started));
const vetoLine = (vetoed: unknown) =>
  Object.entries((vetoed as Record<string, number> | undefined) ?? {})
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');

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
  const tally = report.tally as DryRunTally & { readonly unchanged?: number };
  const comparison = compareDryRun(tally, (report.lastRealRun ?? null) as LastRun);
  return [
    `dry run ${when(at)}: would decide ${tally.candidates}: execute ${tally.executed}, skip ${tally.skipped}, veto ${Object.values(tally.vetoed).reduce<number>((sum, n) => sum + (n ?? 0), 0)}` +
      `${vetoLine(tally.vetoed) ? ` (${vetoLine(tally.vetoed)})` : ''}, escalate ${tally.escalated}` +
      `${tally.unchanged ? `; ${tally.unchanged} decided before and left as they are` : ''}`,
    ...comparisonTable(comparison).map((line) => `  ${line}`),
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

