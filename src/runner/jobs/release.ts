import { MetricName } from '../../curator/ports.js';
import { VetoReason } from '../../curator/verdict.js';
import { lastFiring, quietHoursRelease, type JobType } from '../../pipelines/index.js';
import { clockSkewMs } from '../../requests/request-contract.js';
import type { ReleaseJob } from '../../requests/job-request.js';
import { storeFunctions } from '../../store/functions.js';
import type { ReleaseTarget } from '../../store/rows.js';
import type { CuratorDeps } from '../deps.js';
import type { PipelineRelease, ReleaseResult } from '../job-result.js';
import { endHeld, failHeld, hold, type HeldRun, type HeldWork } from '../lifecycle/held-work.js';
import { takeRun } from '../lifecycle/leases.js';
import { Walk, type WalkResult } from '../pages/drive.js';
import { addTally, emptyTally } from '../tally.js';
import { takeHeldDigests } from './held-digest-replay.js';

/**
 * The quiet-hours release (its Scheduler schedule invokes it every 15 minutes). For each pipeline that keeps quiet
 * hours, in release order (organisation report, insights, digest: when a family's are due together, the caps see them
 * in that order), it decides again what has come due, as a run of its own: trigger `release`, keyed by the release
 * id, so a continuation or redelivery is the same run (and each held email is claimed once whatever run takes it).
 * Every check runs with the facts of now, so the switches, the breaker, the request gate, the caps and the spend
 * guard count at the moment of sending. What is held from a period whose next firing has come is recorded
 * `superseded`, never sent late. A pipeline with nothing due takes no run; near the deadline a release continues in
 * a new invocation, as any run does.
 */
export async function runRelease(deps: CuratorDeps, request: ReleaseJob): Promise<ReleaseResult> {
  const startedMs = Date.now();
  const releaseId = request.releaseId ?? deps.clock.now().toISOString();
  const pipelines: PipelineRelease[] = [];
  for (const jobType of quietHoursRelease.order) {
    const released = await releasePipeline(deps, jobType, { ...request, releaseId });
    pipelines.push(released);
    // Handed on near the deadline: the continuation is this release again, and takes up this pipeline's run from its
    // cursor and then the pipelines after it. Starting the next one here would run past the deadline.
    if (released.outcome.status === 'continued') break;
  }
  const tally = pipelines.reduce((sum, pipeline) => addTally(sum, pipeline.outcome.tally), emptyTally());
  return { ok: true, kind: 'release', jobType: 'release', status: 'succeeded', releaseId, pipelines, tally, durationMs: Date.now() - startedMs };
}

/** The (held_until, id) of the last held email a release finished: where it resumes. */
const cursorOf = (target: ReleaseTarget) => `${target.held_until}|${target.id}`;

function decodeCursor(saved: string | null): { heldUntil: Date; id: string } | null {
  const [heldUntil, id, ...rest] = saved?.split('|') ?? [];
  return heldUntil && id && rest.length === 0 ? { heldUntil: new Date(heldUntil), id } : null;
}

type Due = (after: { heldUntil: Date; id: string } | null, limit: number) => Promise<ReleaseTarget[]>;

async function releasePipeline(deps: CuratorDeps, jobType: JobType, request: ReleaseJob & { releaseId: string }): Promise<PipelineRelease> {
  const dueNow: Due = (after, limit) =>
    deps.store.call(storeFunctions.releaseTargets, { jobType, now: deps.clock.now(), afterHeldUntil: after?.heldUntil ?? null, afterId: after?.id ?? null, limit });
  if ((await dueNow(null, 1)).length === 0) return { jobType, runId: null, superseded: 0, outcome: { status: 'nothing_due', tally: emptyTally() } };

  const current = lastFiring(jobType, deps.clock.now());
  const periodKey = `release:${request.releaseId}`;
  const work: HeldWork = { jobType, labels: { period_key: periodKey }, resumeWith: request };
  const held = await hold(deps, work, await takeRun(deps, { jobType, periodKey, trigger: 'release', eventId: request.releaseId, scheduledFor: null, resumeWith: request }));
  if (!held.taken) return answer(held.run, 0);
  try {
    const { lease } = held;
    // The ceiling covers a firing and its releases: what the period has claimed so far, this release's own included.
    const claimed = current === null ? 0 : await held.deps.store.call(storeFunctions.periodEmails, {
      jobType,
      periodKey: current.periodKey,
      since: new Date(current.scheduledTime.getTime() - clockSkewMs),
    });
    const walk = new Walk(held.deps, {
      jobType,
      runId: lease.ref.runId,
      dryRun: false,
      retakeVetoReason: VetoReason.QUIET_HOURS,
      lease: lease.ref,
      cursor: lease.cursor,
      canContinue: true,
      spend: { emailsThisRun: claimed, creditsTodayCents: 0 },
    });
    const walked = await walkDue(held.deps, walk, jobType, current?.periodKey ?? null, decodeCursor(lease.cursor), dueNow);
    return answer(await endHeld(held, { kind: 'walked', walk: walked.walk }), walked.superseded);
  } catch (error) {
    throw await failHeld(held, error);
  }

  function answer({ runId, outcome }: HeldRun, superseded: number): PipelineRelease {
    if (outcome.tally.emailsSent > 0) deps.metrics.record({ name: MetricName.QuietHoursReleased, value: outcome.tally.emailsSent, unit: 'Count', pipelineType: jobType });
    if (superseded > 0) deps.metrics.record({ name: MetricName.QuietHoursSuperseded, value: superseded, unit: 'Count', pipelineType: jobType });
    return { jobType, runId, superseded, outcome };
  }
}

/**
 * Walks what is due a page at a time. What is held from a period that is no longer the pipeline's current one (its
 * next firing has come, and the family gets that one instead) is recorded `superseded`; the rest is split by period
 * and decided as its period's candidates.
 */
async function walkDue(
  deps: CuratorDeps,
  walk: Walk,
  jobType: JobType,
  currentPeriod: string | null,
  start: { heldUntil: Date; id: string } | null,
  dueNow: Due,
): Promise<{ walk: WalkResult; superseded: number }> {
  let after = start;
  let superseded = 0;
  while (walk.wantsMore()) {
    const targets = await dueNow(after, deps.config.pageSize);
    if (targets.length === 0) break;
    const last = targets[targets.length - 1]!;
    after = { heldUntil: new Date(last.held_until), id: last.id };
    const stale = targets.filter((target) => target.period_key !== currentPeriod).map((target) => target.id);
    if (stale.length > 0) superseded += await deps.store.call(storeFunctions.supersedeHeld, { ids: stale, now: deps.clock.now() });
    await takeHeldDigests(deps, walk, jobType, targets.filter((target) => target.period_key === currentPeriod), cursorOf(last));
    if (targets.length < deps.config.pageSize) break;
  }
  return { walk: await walk.end(), superseded };
}
