import { firingOfPeriod, lastFiring, pipelineOf, type Firing } from '../../pipelines/index.js';
import type { CuratorDeps } from '../deps.js';
import { sendCanary } from '../effects/canary.js';
import { JobRequestError } from '../errors.js';
import type { ReplayJob, ScheduledJob } from '../../requests/job-request.js';
import type { DryRunResult, RunResult } from '../job-result.js';
import { endHeld, failHeld, hold, type HeldRun, type HeldWork, type Holding, type Worked } from '../lifecycle/held-work.js';
import { takeRun } from '../lifecycle/leases.js';
import { drive, startingSpend } from '../pages/drive.js';
import type { PagePlan } from '../pages/page-plan.js';
import { templateOf } from '../plans/email-plan.js';
import { planFor } from '../plans/plan-for.js';
import { dryWalkOptions, reportDryRun } from './dry-run.js';
import { fanOut } from './shard.js';

/** The firing a request is about: a firing's own time names its period, even when EventBridge delivers it late. */
function firingFor(deps: CuratorDeps, request: ScheduledJob | ReplayJob): Firing {
  const { jobType } = request;
  if (request.kind === 'replay' && request.periodKey !== null) {
    // The request contract (checked by runJob) has made sure the period is one of the job's.
    const firing = firingOfPeriod(jobType, request.periodKey);
    if (firing === null) throw new Error(`${request.periodKey} is not a period of ${jobType}: the request contract should have refused it`);
    return firing;
  }
  const at = request.kind === 'scheduled' ? request.scheduledTime : deps.clock.now();
  const firing = lastFiring(jobType, at);
  if (firing === null) throw new JobRequestError('detail.jobType', `${jobType} has no schedule`);
  return request.kind === 'scheduled' ? { periodKey: firing.periodKey, scheduledTime: request.scheduledTime } : firing;
}

/**
 * A scheduled firing, or a replay of one period: takes the (job, period) run, walks every candidate (first the
 * canary, and a split into shards when the population is larger than one invocation takes), and completes the
 * run with its counts. A replay never repeats what succeeded and redoes what failed. A dry run takes no run,
 * writes and sends nothing, and answers beside the last real run of the job.
 */
export async function runPeriod(deps: CuratorDeps, request: ScheduledJob | ReplayJob): Promise<RunResult | DryRunResult> {
  const startedMs = Date.now();
  const { jobType } = request;
  const firing = firingFor(deps, request);
  const plan = planFor(deps, jobType, firing);
  const subjects = request.kind === 'replay' ? request.userIds : null;
  if (request.dryRun) {
    const { tally } = await drive(deps, plan, { through: null, subjects }, await dryWalkOptions(deps, jobType));
    return reportDryRun(deps, { kind: request.kind, jobType, periodKey: firing.periodKey, eventId: request.eventId, startedMs }, tally);
  }

  // The period is resolved, so a continuation (or a resume) walks this very period even when the clock moved on.
  const resumeWith = request.kind === 'scheduled' ? request : { ...request, periodKey: firing.periodKey };
  const work: HeldWork = { jobType, labels: { period_key: firing.periodKey }, resumeWith };
  const trigger = request.kind === 'scheduled' ? 'schedule' : 'replay';
  const taken = await takeRun(deps, { jobType, periodKey: firing.periodKey, trigger, eventId: request.eventId, scheduledFor: firing.scheduledTime, resumeWith });
  const held = await hold(deps, work, taken);
  if (!held.taken) return answer(held.run);
  try {
    return answer(await endHeld(held, await walkPeriod(held, plan, firing, subjects)));
  } catch (error) {
    throw await failHeld(held, error);
  }

  function answer({ runId, outcome }: HeldRun): RunResult {
    return { ok: true, kind: request.kind, jobType, periodKey: firing.periodKey, runId, durationMs: Date.now() - startedMs, ...outcome };
  }
}

/** A held period's work: the canary first (on a fresh walk), then a split into shards, or the walk of every page. */
async function walkPeriod(held: Holding, plan: PagePlan<unknown>, firing: Firing, subjects: readonly string[] | null): Promise<Worked> {
  const { deps, lease } = held;
  const { jobType } = plan;
  const pipeline = pipelineOf(jobType);
  if (pipeline.canaryFirst === true && lease.cursor === null) {
    const emailType = pipeline.emailType!;
    await sendCanary(deps, { runId: lease.ref.runId, emailType, templateId: templateOf(deps, emailType), periodKey: firing.periodKey });
  }
  const split = await fanOut(deps, plan, lease, firing, subjects);
  if (split !== null) return split;
  const spend = await startingSpend(deps, jobType, lease.emailsBefore);
  const options = { jobType, runId: lease.ref.runId, dryRun: false, retakeVetoReason: null, lease: lease.ref, cursor: lease.cursor, canContinue: true, spend };
  return { kind: 'walked', walk: await drive(deps, plan, { through: null, subjects }, options), details: plan.report?.() ?? {} };
}
