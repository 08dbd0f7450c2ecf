import type { SpendSoFar } from '../curator/decide.js';
import type { VetoReason } from '../curator/verdict.js';
import { firingOfPeriod, lastFiring, pipelineOf, type Firing, type JobType } from '../pipelines/index.js';
import type { CuratorDeps } from './deps.js';
import { JobRequestError } from './errors.js';
import type { ReplayJob, ScheduledJob } from './job-request.js';
import { maintenancePlan } from './maintenance.js';
import { actOnPage, decidePage, readRules, type PagePlan } from './page.js';
import { sendCanary } from './actions.js';
import { expiryPlan, orgHealthPlan, referralPlan, templateOf, userEmailPlan, type PlanPeriod } from './plans.js';
import { finishRun, saveProgress, takeRun, type HeldRun } from './run-lifecycle.js';
import { addTally, emptyTally, type JobSummary, type Tally } from './tally.js';

const hourMs = 3_600_000;

/** How long a released run waits for its continuation before it counts as stuck. */
const continuationGraceSeconds = 600;

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

/** The window a period's signal is counted over: the day, week or month before its firing. */
function periodOf(jobType: JobType, firing: Firing): PlanPeriod {
  const end = firing.scheduledTime;
  const lengthMs = pipelineOf(jobType).period === 'weekly' ? 7 * 24 * hourMs : pipelineOf(jobType).period === 'monthly' ? 30 * 24 * hourMs : 24 * hourMs;
  return { periodKey: firing.periodKey, windowStart: new Date(end.getTime() - lengthMs), windowEnd: end };
}

/** Runs `use` with the plan of a scheduled pipeline, whatever its row type. */
export function withPlan<T>(
  deps: CuratorDeps,
  jobType: JobType,
  firing: Firing,
  details: Record<string, unknown>,
  use: <Row>(plan: PagePlan<Row>) => Promise<T>,
): Promise<T> {
  const period = periodOf(jobType, firing);
  switch (jobType) {
    case 'daily_digest':
    case 'weekly_insights':
      return use(userEmailPlan(deps, jobType, period));
    case 'org_health_report':
      return use(orgHealthPlan(deps, period));
    case 'referral_rewards':
      return use(referralPlan(deps, period));
    case 'expire_credits':
      return use(expiryPlan(deps, period));
    case 'story_scoring':
    case 'data_retention':
      return use(maintenancePlan(deps, jobType, period, details));
    case 'crisis_alert':
    case 'early_intervention':
    case 'story_failure':
    case 'asset_timeout':
      throw new JobRequestError('detail.jobType', `${jobType} is realtime: it runs from the app's signals, not on a schedule`);
    default: {
      const unknown: never = jobType;
      throw new JobRequestError('detail.jobType', `unknown job ${String(unknown)}`);
    }
  }
}

interface WalkOptions {
  readonly run: HeldRun | null;
  /** The run may stop near the deadline and continue in another invocation. */
  readonly canContinue?: boolean;
  readonly after: string | null;
  readonly subjects: readonly string[] | null;
  readonly dryRun: boolean;
  readonly retakeVetoReason: VetoReason | null;
  readonly spend: SpendSoFar;
}

/**
 * Walks candidates a page at a time from the cursor: read the switches, load a page, decide it (in order, so each
 * page sees the spend of the ones before), then record and act on it while the next page loads, with at most
 * `pagesInFlight` pages acting at once. The cursor saved with the run only passes pages whose every page before
 * has finished, so a run resumed after a crash redoes at most the pages in flight, whose succeeded actions are
 * skipped. Stops at the end, on the first failure (after the pages in flight settle), or when the lease is lost.
 */
async function walk<Row>(
  deps: CuratorDeps,
  plan: PagePlan<Row>,
  options: WalkOptions,
): Promise<{ tally: Tally; leaseLost: boolean; continued?: boolean }> {
  const tally = emptyTally();
  const limit = Math.max(1, deps.config.pagesInFlight ?? 1);
  const pageOptions = { runId: options.run?.runId ?? null, dryRun: options.dryRun, retakeVetoReason: options.retakeVetoReason };
  const inFlight = new Set<Promise<void>>();
  const finished = new Map<number, { tally: Tally; after: string }>();
  let saved = 0;
  let leaseLost = false;
  let failure: unknown = null;
  let after = options.after;
  let spend = options.spend;
  let continued = false;
  const nearDeadline = () =>
    options.canContinue === true &&
    deps.continuations !== undefined &&
    deps.config.remainingMs !== undefined &&
    deps.config.remainingMs() < (deps.config.continuationMarginMs ?? 60_000);

  // Saves progress over the finished pages at the front, in page order.
  let saving: Promise<void> = Promise.resolve();
  const saveFront = () => {
    saving = saving.then(async () => {
      while (finished.has(saved)) {
        const page = finished.get(saved)!;
        finished.delete(saved);
        saved += 1;
        addTally(tally, page.tally);
        if (options.run !== null && !leaseLost && !(await saveProgress(deps, options.run, page.after, page.tally))) leaseLost = true;
      }
    });
    return saving;
  };

  for (let index = 0; failure === null && !leaseLost; index += 1) {
    if (index > 0 && nearDeadline()) {
      continued = true;
      break;
    }
    const rules = await readRules(deps, plan.jobType);
    const rows = await plan.load({ after, limit: deps.config.pageSize, subjects: options.subjects }, rules.policy);
    if (rows.length === 0) break;
    after = plan.subjectOf(rows[rows.length - 1]!);
    const decided = await decidePage(deps, plan, rows, rules, spend, pageOptions);
    spend = decided.spend;
    const pageAfter = after;
    const acting: Promise<void> = actOnPage(deps, plan, decided, pageOptions).then(
      async (pageTally) => {
        finished.set(index, { tally: pageTally, after: pageAfter });
        await saveFront();
      },
      (error: unknown) => {
        failure ??= error;
      },
    );
    const tracked = acting.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (rows.length < deps.config.pageSize) break;
    while (inFlight.size >= limit) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await saving;
  if (failure !== null) throw failure;
  return { tally, leaseLost, continued };
}

async function startingSpend(deps: CuratorDeps, jobType: JobType, run: HeldRun | null): Promise<SpendSoFar> {
  return {
    emailsThisRun: run?.executedBefore ?? 0,
    creditsTodayCents: pipelineOf(jobType).channel === 'credit' ? await deps.store.creditsIssuedOn(deps.clock.now()) : 0,
  };
}

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
      startingSpend(deps, jobType, null).then((spend) =>
        walk(deps, plan, { run: null, after: null, subjects, dryRun: true, retakeVetoReason: null, spend }),
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
    async (plan) => {
      if (canaryFirst.has(jobType) && run.cursor === null) {
        const emailType = pipelineOf(jobType).emailType!;
        await sendCanary(deps, { runId: run.runId, emailType, templateId: templateOf(deps, emailType), periodKey: firing.periodKey });
      }
      const spend = await startingSpend(deps, jobType, run);
      return walk(deps, plan, { run, after: run.cursor, subjects, dryRun: false, retakeVetoReason: null, spend, canContinue: true });
    },
    firing,
    continuationOf(request, firing),
  );
}

async function runHeld(
  deps: CuratorDeps,
  run: HeldRun,
  jobType: JobType,
  startedMs: number,
  base: Pick<JobSummary, 'ok' | 'jobType' | 'kind' | 'periodKey'>,
  details: Record<string, unknown>,
  work: <Row>(plan: PagePlan<Row>) => Promise<{ tally: Tally; leaseLost: boolean; continued?: boolean }>,
  firing: Firing,
  continuation: Record<string, unknown>,
): Promise<JobSummary> {
  let result: { tally: Tally; leaseLost: boolean; continued?: boolean };
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
  if (result.continued && deps.continuations) {
    // The cursor and counts are saved; hand the lease on, then ask for the next invocation.
    await deps.store.releaseRun({ runId: run.runId, owner: deps.config.owner, graceSeconds: continuationGraceSeconds, now: deps.clock.now() });
    await deps.continuations.continueWith(continuation);
    deps.logger.info('run continues in a new invocation', { pipeline_type: jobType, run_id: run.runId, period_key: firing.periodKey });
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

  const tally = emptyTally();
  const details: Record<string, unknown> = {};
  let after: string | null = null;
  let spend = await startingSpend(deps, jobType, null);
  try {
    for (;;) {
      const targets = await deps.store.replayTargets({
        jobType,
        vetoReason: request.vetoReason,
        from: range.from,
        to: range.to,
        userIds: request.userIds,
        after,
        limit: deps.config.pageSize,
      });
      if (targets.length === 0) break;
      const byPeriod = new Map<string, typeof targets>();
      for (const target of targets) byPeriod.set(target.period_key, [...(byPeriod.get(target.period_key) ?? []), target]);
      for (const [key, group] of byPeriod) {
        const firing = firingOfPeriod(jobType, key);
        if (firing === null) continue;
        const page = await withPlan(deps, jobType, firing, details, (plan) =>
          walk(deps, plan, {
            run,
            after: null,
            subjects: group.map((target) => target.subject_key),
            dryRun: request.dryRun,
            retakeVetoReason: request.vetoReason,
            spend,
          }),
        );
        addTally(tally, page.tally);
        if (page.leaseLost) {
          return { ...base, runId: run?.runId ?? null, status: 'skipped', reason: 'lease_lost', tally, durationMs: Date.now() - startedMs };
        }
      }
      after = targets[targets.length - 1]!.id;
      spend = await startingSpend(deps, jobType, null);
      if (targets.length < deps.config.pageSize) break;
    }
  } catch (error) {
    if (run !== null) {
      const message = error instanceof Error ? error.message : String(error);
      await finishRun(deps, run, { jobType, status: 'failed', error: message, tally: emptyTally(), startedMs }).catch(() => undefined);
    }
    throw error;
  }
  if (run === null) {
    return { ...base, runId: null, status: 'dry_run', tally, durationMs: Date.now() - startedMs, lastRealRun: await deps.store.lastRun(jobType) };
  }
  await finishRun(deps, run, { jobType, status: 'succeeded', error: null, tally, startedMs });
  return { ...base, runId: run.runId, status: 'succeeded', tally, durationMs: Date.now() - startedMs };
}
