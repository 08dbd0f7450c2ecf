import { storeFunctions } from '../store/functions.js';
import type { EventProgress, LastRun } from '../store/rows.js';
import { compareDryRun, type DryRunTally } from '../format/dry-run-comparison.js';
import type { OpsContext } from './context.js';
import { ExitCode, explain, OpsError } from './errors.js';
import { describeEvent, eventDone, type Shown } from './look.js';

/** How `--wait` follows an event: how long at most, and how it pauses between looks (tests drive the curator here). */
export interface Follow {
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** `10m`, `90s`, `1h`: how long `--wait` waits. */
export function parseTimeout(text: string): number {
  const match = /^(\d+)\s*(s|m|h)$/.exec(text.trim());
  if (!match || Number(match[1]) === 0) throw new OpsError(ExitCode.usage, `--timeout must be seconds, minutes or hours such as 90s, 10m or 1h, got ${text}`);
  return Number(match[1]) * { s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as 's' | 'm' | 'h'];
}

export async function progressOf(context: OpsContext, eventId: string): Promise<EventProgress> {
  const store = await context.store();
  try {
    return await store.call(storeFunctions.runByEvent, { eventId });
  } catch (error) {
    throw explain(error, `reading what became of event ${eventId}`);
  }
}

export function answerEvent(context: OpsContext, progress: EventProgress, eventId: string, shown: Shown): ExitCode {
  const { failed } = eventDone(progress);
  if (shown.json) {
    // A dry run's comparison with the real run is part of the one document, as the table shows it.
    const report = progress.dry_run?.report as { tally?: DryRunTally; lastRealRun?: LastRun } | undefined;
    const comparison = report?.tally ? { comparison: compareDryRun(report.tally, report.lastRealRun ?? null) } : {};
    context.out(JSON.stringify({ event_id: eventId, ...eventDone(progress), ...progress, ...comparison }, null, 2));
  }
  else for (const line of describeEvent(progress, eventId)) context.out(line);
  return failed ? ExitCode.failed : ExitCode.ok;
}

/**
 * Follows an event until the curator is done with it and prints what it did; after `timeoutMs` it stops waiting
 * (exit 6, the work goes on) and says how to look again. Each change of state is one line, so a long replay shows
 * it is moving.
 */
export async function followEvent(context: OpsContext, eventId: string, follow: Follow, shown: Shown): Promise<ExitCode> {
  // Counted in pauses, not read from the clock: ops' clock may be fixed (tests), and a look takes little time.
  let waited = 0;
  let seen = '';
  for (;;) {
    const progress = await progressOf(context, eventId);
    if (eventDone(progress).done) return answerEvent(context, progress, eventId, shown);
    const state =
      progress.attempts.length === 0
        ? 'waiting for the curator to take it'
        : `${progress.run?.status ?? 'running'}: ${progress.run?.candidates ?? 0} decided, ${progress.run?.executed ?? 0} executed`;
    if (state !== seen && !shown.json) context.out(`  ${state}`);
    seen = state;
    if (waited + follow.pollMs > follow.timeoutMs) {
      throw new OpsError(
        ExitCode.timedOut,
        `still not done after ${Math.round(follow.timeoutMs / 1_000)} s (${state}); the curator goes on. See it later: npm run ops -- event ${eventId} --env ${context.env}`,
      );
    }
    await follow.sleep(follow.pollMs);
    waited += follow.pollMs;
  }
}
