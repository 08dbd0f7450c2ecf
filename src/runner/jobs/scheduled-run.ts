import { eventOf } from '../../events/curator-events.js';
import { firingOfPeriod, lastFiring, pipelineOf, type Firing } from '../../pipelines/index.js';
import type { CuratorDeps } from '../deps.js';
import { sendCanary } from '../effects/canary.js';
import { JobRequestError } from '../errors.js';
import type { ReplayJob, ScheduledJob } from '../job-request.js';
import type { DryRunResult, RunResult } from '../job-result.js';
import { runHeld, type Worked } from '../lifecycle/held-work.js';
import { takeRun } from '../lifecycle/leases.js';
import { drive, keysetPages, startingSpend } from '../pages/drive.js';
import { templateOf } from '../plans/email-plan.js';
import { withPlan } from '../plans/plan-for.js';
import { dryRun } from './dry-run.js';
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
  const subjects = request.kind === 'replay' ? request.userIds : null;
  const details: Record<string, unknown> = {};

  if (request.dryRun) {
    return withPlan(deps, jobType, firing, details, (plan) =>
      dryRun(deps, {
        kind: request.kind,
        jobType,
        periodKey: firing.periodKey,
        eventId: request.eventId,
        pages: keysetPages(deps, plan, { runId: null, dryRun: true, retakeVetoReason: null, after: null, through: null, subjects }),
      }),
    );
  }

  // The period is resolved, so a continuation (or a resume) walks this very period even when the clock moved on.
  const resumeEvent = eventOf(request.kind === 'scheduled' ? request : { ...request, periodKey: firing.periodKey });
  const { runId, outcome } = await runHeld(deps, {
    jobType,
    labels: { period_key: firing.periodKey },
    resumeEvent,
    take: () =>
      takeRun(deps, {
        jobType,
        periodKey: firing.periodKey,
        trigger: request.kind === 'scheduled' ? 'schedule' : 'replay',
        eventId: request.eventId,
        scheduledFor: firing.scheduledTime,
        resumeEvent,
      }),
    work: (lease, deps) =>
      withPlan(deps, jobType, firing, details, async (plan): Promise<Worked> => {
        if (pipelineOf(jobType).canaryFirst === true && lease.cursor === null) {
          const emailType = pipelineOf(jobType).emailType!;
          await sendCanary(deps, { runId: lease.ref.runId, emailType, templateId: templateOf(deps, emailType), periodKey: firing.periodKey });
        }
        const split = await fanOut(deps, plan, lease, firing, subjects);
        if (split !== null) return split;
        const walk = await drive(
          deps,
          keysetPages(deps, plan, { runId: lease.ref.runId, dryRun: false, retakeVetoReason: null, after: lease.cursor, through: null, subjects }),
          { jobType, lease: lease.ref, cursor: lease.cursor, canContinue: true, spend: await startingSpend(deps, jobType, lease.emailsBefore) },
        );
        return { kind: 'walked', walk, details };
      }),
  });
  return { ok: true, kind: request.kind, jobType, periodKey: firing.periodKey, runId, durationMs: Date.now() - startedMs, ...outcome };
}
