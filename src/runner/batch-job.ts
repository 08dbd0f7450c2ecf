import { groupBy } from '../group-by.js';
import { firingOfPeriod, lastFiring, pipelineOf, type Firing, type JobType } from '../pipelines/index.js';
import { sendCanary } from './actions.js';
import type { CuratorDeps } from './deps.js';
import { JobRequestError } from './errors.js';
import type { ReplayJob, ScheduledJob } from './job-request.js';
import { readRules, type PagePlan } from './page.js';
import { withPlan } from './plan-for.js';
import { templateOf } from './plans.js';
import { cursorAfter, decodeReplayCursor, encodeReplayCursor, heldTargets, replayContinuation, type ReplayCursor } from './replay-targets.js';
import { finishRun, handOn, saveProgress, takeRun, type HeldRun } from './run-lifecycle.js';
import { fanOut } from './shard-job.js';
import { emptyTally, type JobSummary } from './tally.js';
import { drive, pageWork, startingSpend, walk, type PageSource, type PageWork, type WalkResult } from './walk.js';

/** The event a continuation of this run is delivered with: the one that started it. */
function continuationOf(request: ScheduledJob | ReplayJob, firing: Firing): Record<string, unknown> {
  if (request.kind === 'scheduled') {
    return {
      ...(request.eventId ? { id: request.eventId } : {}),
      source: 'storytailor.scheduler',
      'detail-type': 'Scheduled Job',
      time: firing.scheduledTime.toISOString(),
      detail: { jobType: request.jobType },
    };
  }
  return {
    ...(request.eventId ? { id: request.eventId } : {}),
    source: 'storytailor.manual',
    'detail-type': 'retry',
    detail: { jobType: request.jobType, retry: true, periodKey: firing.periodKey, ...(request.userIds ? { userIds: request.userIds } : {}) },
  };
}

/** Runs that send to the canary list first (DESIGN.md section 8). */
const canaryFirst: ReadonlySet<JobType> = new Set(['daily_digest', 'weekly_insights']);

function firingFor(deps: CuratorDeps, request: ScheduledJob | ReplayJob): Firing {
  const { jobType } = request;
  if (request.kind === 'scheduled') {
    const firing = firingOfPeriodAt(jobType, request.scheduledTime);
    if (firing === null) throw new JobRequestError('detail.jobType', `${jobType} has no schedule`);
    return firing;
  }
  if (request.periodKey !== null) {
    const firing = firingOfPeriod(jobType, request.periodKey);
    if (firing === null) {
      throw new JobRequestError('detail.periodKey', `${request.periodKey} is not a period of ${jobType} (${pipelineOf(jobType).period})`);
    }
    return firing;
  }
  const firing = lastFiring(jobType, deps.clock.now());
  if (firing === null) throw new JobRequestError('detail.jobType', `${jobType} has no schedule`);
  return firing;
}

/** A scheduled firing's own time names its period, even when EventBridge delivers it late. */
function firingOfPeriodAt(jobType: JobType, scheduledTime: Date): Firing | null {
  const firing = lastFiring(jobType, scheduledTime);
  return firing === null ? null : { periodKey: firing.periodKey, scheduledTime };
}

/**
 * A scheduled firing, or a replay of one period: takes the (job, period) run, walks every candidate, and
 * completes the run with its counts. A replay never repeats what succeeded and redoes what failed. A dry run
 * takes no run, writes and sends nothing, and answers beside the last real run of the job.
 */
export async function runPeriod(deps: CuratorDeps, request: ScheduledJob | ReplayJob): Promise<JobSummary> {
  const startedMs = Date.now();
  const { jobType } = request;
  const firing = firingFor(deps, request);
  const details: Record<string, unknown> = {};
  const subjects = request.kind === 'replay' ? request.userIds : null;
  const base = { ok: true as const, jobType, kind: request.kind, periodKey: firing.periodKey };

  if (request.dryRun) {
    const { tally } = await withPlan(deps, jobType, firing, details, (plan) =>
      startingSpend(deps, jobType, 0).then((spend) =>
        walk(deps, plan, { runId: null, save: null, after: null, subjects, dryRun: true, retakeVetoReason: null, spend }),
      ),
    );
    const lastRealRun = await deps.store.lastRun(jobType);
    return { ...base, runId: null, status: 'dry_run', tally, durationMs: Date.now() - startedMs, lastRealRun };
  }

  const run = await takeRun(deps, {
    jobType,
    periodKey: firing.periodKey,
    trigger: request.kind === 'scheduled' ? 'schedule' : 'replay',
    eventId: request.eventId,
    scheduledFor: firing.scheduledTime,
  });
  if ('taken' in run) {
    return { ...base, runId: run.runId, status: 'skipped', reason: run.reason, tally: emptyTally(), durationMs: Date.now() - startedMs };
  }
  return runHeld(
    deps,
    run,
    jobType,
    startedMs,
    base,
    details,
    async (plan): Promise<HeldWork> => {
      if (canaryFirst.has(jobType) && run.cursor === null) {
        const emailType = pipelineOf(jobType).emailType!;
        await sendCanary(deps, { runId: run.runId, emailType, templateId: templateOf(deps, emailType), periodKey: firing.periodKey });
      }
      const split = await fanOut(deps, plan, run, firing, subjects);
      const spend = await startingSpend(deps, jobType, run.executedBefore);
      if (split !== null) {
        const nothing = { tally: emptyTally(), continued: false, spend };
        return 'leaseLost' in split ? { ...nothing, leaseLost: true } : { ...nothing, ...split, leaseLost: false };
      }
      return walk(deps, plan, {
        runId: run.runId,
        save: (after, page) => saveProgress(deps, run, after, page),
        after: run.cursor,
        subjects,
        dryRun: false,
        retakeVetoReason: null,
        spend,
        canContinue: true,
      });
    },
    firing,
    continuationOf(request, firing),
  );
}

/** What the work on a held run came to: walked here (maybe only so far), or split into shards. */
type HeldWork = WalkResult & { readonly shards?: number };

async function runHeld(
  deps: CuratorDeps,
  run: HeldRun,
  jobType: JobType,
  startedMs: number,
  base: Pick<JobSummary, 'ok' | 'jobType' | 'kind' | 'periodKey'>,
  details: Record<string, unknown>,
  work: <Row>(plan: PagePlan<Row>) => Promise<HeldWork>,
  firing: Firing,
  continuation: Record<string, unknown>,
): Promise<JobSummary> {
  let result: HeldWork;
  try {
    result = await withPlan(deps, jobType, firing, details, work);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    deps.logger.error('run failed', { pipeline_type: jobType, run_id: run.runId, error: message });
    await finishRun(deps, run, { jobType, status: 'failed', error: message, tally: emptyTally(), startedMs }).catch(() => undefined);
    throw error;
  }
  if (result.leaseLost) {
    return { ...base, runId: run.runId, status: 'skipped', reason: 'lease_lost', tally: result.tally, durationMs: Date.now() - startedMs };
  }
  if (result.shards !== undefined) {
    return { ...base, runId: run.runId, status: 'fanned_out', tally: result.tally, durationMs: Date.now() - startedMs, details: { shards: result.shards } };
  }
  if (result.continued && deps.continuations) {
    await handOn(deps, run, continuation, { pipeline_type: jobType, period_key: firing.periodKey });
    return { ...base, runId: run.runId, status: 'continued', reason: 'deadline', tally: result.tally, durationMs: Date.now() - startedMs };
  }
  await finishRun(deps, run, { jobType, status: 'succeeded', error: null, tally: result.tally, startedMs });
  return {
    ...base,
    runId: run.runId,
    status: 'succeeded',
    tally: result.tally,
    durationMs: Date.now() - startedMs,
    ...(Object.keys(details).length > 0 ? { details } : {}),
  };
}

/**
 * The pages of a held replay: each page of held executions after the cursor (by created_at and id), split by the
 * period they were decided for, each part loaded as that period's candidates among its subjects. The replay's
 * cursor moves with the last part of each page, so it passes a page of held executions only once all of it is done.
 */
function heldPages(deps: CuratorDeps, request: ReplayJob, range: { from: Date; to: Date }, runId: string | null, start: ReplayCursor | null): PageSource {
  const { jobType } = request;
  const pageOptions = { runId, dryRun: request.dryRun, retakeVetoReason: request.vetoReason };
  const ready: PageWork[] = [];
  let after = start;
  let done = false;
  return {
    get exhausted() {
      return done && ready.length === 0;
    },
    async next() {
      while (ready.length === 0 && !done) {
        const targets = await heldTargets(deps, request, range, after);
        if (targets.length < deps.config.pageSize) done = true;
        if (targets.length === 0) break;
        after = cursorAfter(targets[targets.length - 1]!);
        const parts: PageWork[] = [];
        for (const [key, group] of groupBy(targets, (target) => target.period_key)) {
          const firing = firingOfPeriod(jobType, key);
          if (firing === null) continue;
          const subjects = group.map((target) => target.subject_key);
          parts.push(
            await withPlan(deps, jobType, firing, {}, async (plan) => {
              const rules = await readRules(deps, jobType);
              const rows = await plan.load({ after: null, limit: deps.config.pageSize, subjects, through: null }, rules.policy);
              return pageWork(deps, plan, rows, rules, null, pageOptions);
            }),
          );
        }
        const last = parts.pop();
        if (last) parts.push({ ...last, cursor: encodeReplayCursor(after) });
        ready.push(...parts);
      }
      return ready.shift() ?? null;
    },
  };
}

/**
 * A replay of held actions of a scheduled pipeline: every execution created in [from, to] that was vetoed for
 * `vetoReason` (or, without one, that failed or whose outcome is unknown), decided again through every check,
 * period by period. Its run is keyed by the reason and the range, so a duplicate delivery of the same replay
 * exits.
 */
export async function runHeldReplay(deps: CuratorDeps, request: ReplayJob, range: { from: Date; to: Date }): Promise<JobSummary> {
  const startedMs = Date.now();
  const { jobType } = request;
  const periodKey = `replay:${request.vetoReason ?? 'failed'}:${range.from.toISOString()}/${range.to.toISOString()}`;
  const base = { ok: true as const, jobType, kind: 'replay' as const, periodKey };
  const run = request.dryRun
    ? null
    : await takeRun(deps, { jobType, periodKey, trigger: 'replay', eventId: request.eventId, scheduledFor: null });
  if (run !== null && 'taken' in run) {
    return { ...base, runId: run.runId, status: 'skipped', reason: run.reason, tally: emptyTally(), durationMs: Date.now() - startedMs };
  }

  let result: WalkResult;
  try {
    // A continued replay resumes after the last held execution it finished, with the emails it sent so far.
    const spend = await startingSpend(deps, jobType, run?.executedBefore ?? 0);
    result = await drive(deps, heldPages(deps, request, range, run?.runId ?? null, decodeReplayCursor(run?.cursor ?? null)), {
      save: run === null ? null : (cursor, page) => saveProgress(deps, run, cursor, page),
      canContinue: run !== null,
      spend,
    });
  } catch (error) {
    if (run !== null) {
      const message = error instanceof Error ? error.message : String(error);
      await finishRun(deps, run, { jobType, status: 'failed', error: message, tally: emptyTally(), startedMs }).catch(() => undefined);
    }
    throw error;
  }
  const { tally } = result;
  if (run !== null && result.leaseLost) {
    return { ...base, runId: run.runId, status: 'skipped', reason: 'lease_lost', tally, durationMs: Date.now() - startedMs };
  }
  if (run !== null && result.continued && deps.continuations) {
    await handOn(deps, run, replayContinuation(request, range), { pipeline_type: jobType, period_key: periodKey });
    return { ...base, runId: run.runId, status: 'continued', reason: 'deadline', tally, durationMs: Date.now() - startedMs };
  }
  if (run === null) {
    return { ...base, runId: null, status: 'dry_run', tally, durationMs: Date.now() - startedMs, lastRealRun: await deps.store.lastRun(jobType) };
  }
  await finishRun(deps, run, { jobType, status: 'succeeded', error: null, tally, startedMs });
  return { ...base, runId: run.runId, status: 'succeeded', tally, durationMs: Date.now() - startedMs };
}
