import { MetricName } from '../../curator/ports.js';
import { storeFunctions } from '../../store/functions.js';
import { ignoredParameters } from '../../parameters/ignored-parameters.js';
import { reportIgnored } from '../../parameters/report-ignored.js';
import { parseSwitch } from '../../curator/switches.js';
import { isJobType, jobTypes, lastFiring, opsSummary, parameterKey, pipelineOf, ruleName, tunableNames, type Firing, type JobType } from '../../pipelines/index.js';
import { summaryWindow } from '../../ops-summary/window.js';
import type { RecoverResult } from '../../store/rows.js';
import type { ShardJob } from '../../requests/job-request.js';
import type { CuratorDeps } from '../deps.js';
import type { HealthResult } from '../job-result.js';
import { settleUnknownEmails } from './settle-unknown-emails.js';

/** A firing younger than this may still be starting; it is not counted missing yet. */
const startGraceMs = 30 * 60_000;
/** How far back a missed firing is still reported (the monthly job's gap is the longest). */
const lookbackMs = 35 * 86_400_000;
/** A run (or shard) that died this many times is left stuck for a human rather than resumed again. */
const maxResumeAttempts = 5;

/** The last firing of every scheduled pipeline that should have started by now. */
export function expectedRuns(now: Date): Array<{ job_type: JobType; period_key: string; firing: Firing }> {
  return jobTypes.flatMap((jobType) => {
    const firing = lastFiring(jobType, new Date(now.getTime() - startGraceMs));
    if (firing === null || now.getTime() - firing.scheduledTime.getTime() > lookbackMs) return [];
    return [{ job_type: jobType, period_key: firing.periodKey, firing }];
  });
}

/**
 * Recovers work whose invocation died: runs and shards whose lease ran out are marked stuck and their in-flight
 * actions settled (StuckRuns counts them), realtime signals left pending are settled, and each stuck run or shard
 * is put back on the work queue to resume from its cursor. The health job never does that work itself.
 */
async function recover(deps: CuratorDeps): Promise<{ recovered: RecoverResult; resumed: number }> {
  const now = deps.clock.now();
  const recovered = await deps.store.call(storeFunctions.recover, { now, leaseSeconds: deps.config.leaseSeconds, maxAttempts: maxResumeAttempts });
  // Each point counts under (PipelineType) and, summed by the adapter, under no dimensions.
  const stuck = (jobType: string, count: number) => {
    if (isJobType(jobType)) deps.metrics.record({ name: MetricName.StuckRuns, value: count, unit: 'Count', pipelineType: jobType });
  };
  for (const [jobType, count] of Object.entries(recovered.newly_stuck)) stuck(jobType, count);
  const shards = recovered.resume_shards.flatMap((shard) => {
    if (shard.scheduled_for === null || !isJobType(shard.job_type)) return [];
    stuck(shard.job_type, 1);
    const scheduledTime = new Date(shard.scheduled_for);
    const request: ShardJob = { kind: 'shard', jobType: shard.job_type, runId: shard.run_id, shard: shard.shard, generation: shard.generation, periodKey: shard.period_key, scheduledTime };
    return [request];
  });
  const runs = recovered.resume_runs.map((run) => run.resume_event);
  const resumed = runs.length + shards.length;
  if (resumed > 0 && deps.continuations) {
    // A run's resume event was written when it was taken; it goes back as it was.
    await deps.continuations.resend(runs);
    await deps.continuations.continueWith(shards);
    deps.logger.error('resumed work whose invocation died', {
      runs: recovered.resume_runs.map((run) => ({ run_id: run.run_id, pipeline_type: run.job_type, period_key: run.period_key, attempt: run.attempt })),
      shards: recovered.resume_shards.map((shard) => ({ run_id: shard.run_id, shard: shard.shard })),
    });
  }
  return { recovered, resumed: deps.continuations ? resumed : 0 };
}

/** The morning email is due by 09:30 UTC, half an hour after its 09:00 schedule (and the Scheduler's retries). */
const opsSummaryDueMinutes = opsSummary.schedule.hour * 60 + opsSummary.schedule.minute + 30;

/** Which day's summary the health job asks about now, and whether it is due yet. */
function summaryDue(now: Date): { summaryDate: string; due: boolean } {
  const minutes = now.getUTCHours() * 60 + now.getUTCMinutes();
  return { summaryDate: summaryWindow(now).summaryDate, due: minutes >= opsSummaryDueMinutes };
}

/**
 * Whether the morning email went out: past 09:30 UTC, `OpsSummaryMissing` is 1 until that day's summary is sent (its
 * alarm tells Slack), 0 once it is. Not counted while its switch is off: ops stopped it on purpose.
 */
async function opsSummaryCheck(deps: CuratorDeps, summary: { summaryDate: string; due: boolean }, status: string | null): Promise<string> {
  if (!summary.due) return `not due until ${Math.floor(opsSummaryDueMinutes / 60)}:${String(opsSummaryDueMinutes % 60).padStart(2, '0')} UTC`;
  const { parameters } = await deps.switches.read();
  if (parseSwitch(parameters?.get(parameterKey(opsSummary.slug, tunableNames.enabled))) === 'off') return `${opsSummary.slug} is off`;
  const missing = status !== 'sent';
  deps.metrics.record({ name: MetricName.OpsSummaryMissing, value: missing ? 1 : 0, unit: 'Count' });
  if (missing) deps.logger.error('the morning ops email has not gone out', { summary_date: summary.summaryDate, status });
  return `${summary.summaryDate}: ${status ?? 'never claimed'}`;
}

/**
 * The health job: recovers work whose invocation died (recover above), settles the emails a crash left of unknown
 * outcome by SendGrid's evidence (settle-unknown-emails.ts), then reports whether the database and
 * the switches can be read, how many runs are running, stuck, succeeded and failed in the last hour, and which
 * scheduled run never started (published as MissedRuns, since a metric alarm cannot look back a month). Sends
 * no email and credits nothing.
 */
export async function runHealth(deps: CuratorDeps): Promise<HealthResult> {
  const startedMs = Date.now();
  const now = deps.clock.now();
  const checks: Record<string, unknown> = {};
  let healthy = true;

  try {
    const snapshot = await deps.switches.read();
    checks.switches = snapshot.parameters === null ? 'unreadable' : snapshot.stale ? 'stale' : 'ok';
    if (snapshot.parameters === null) healthy = false;
    else {
      // A bad value is ignored, not fatal: the default applies. Counted every run (0 included) for its alarm.
      const ignored = ignoredParameters(snapshot.parameters);
      checks.ignoredParameters = ignored.map((entry) => entry.problem);
      deps.metrics.record({ name: MetricName.IgnoredParameters, value: ignored.length, unit: 'Count' });
      reportIgnored(deps.switches, deps.logger, ignored);
    }
  } catch (error) {
    checks.switches = 'unreadable';
    checks.switchesError = error instanceof Error ? error.message : String(error);
    healthy = false;
  }

  try {
    const { recovered, resumed } = await recover(deps);
    checks.recovered = {
      newlyStuck: recovered.newly_stuck,
      orphansSettled: recovered.orphans_settled,
      resumable: recovered.resume_runs.length + recovered.resume_shards.length,
      resumed,
    };
  } catch (error) {
    checks.recovered = 'error';
    checks.recoveryError = error instanceof Error ? error.message : String(error);
    healthy = false;
  }

  try {
    const settlement = await settleUnknownEmails(deps);
    checks.emailsInDoubt = settlement;
    deps.metrics.record({ name: MetricName.EmailsInDoubt, value: settlement.inDoubt, unit: 'Count' });
    if (settlement.inDoubt > 0) {
      healthy = false;
      deps.logger.error('emails in doubt', { in_doubt: settlement.inDoubt, because: settlement.inDoubtBecause });
    }
  } catch (error) {
    checks.emailsInDoubt = 'error';
    checks.emailsInDoubtError = error instanceof Error ? error.message : String(error);
    healthy = false;
  }

  try {
    const expected = expectedRuns(now);
    const summary = summaryDue(now);
    const runs = await deps.store.call(storeFunctions.health, {
      now,
      since: new Date(now.getTime() - 3_600_000),
      expected: expected.map(({ job_type, period_key }) => ({ job_type, period_key })),
      summaryDate: summary.summaryDate,
    });
    checks.database = 'ok';
    checks.runs = { running: runs.running, stuck: runs.stuck, succeeded: runs.succeeded, failed: runs.failed };
    checks.successRate = runs.success_rate;
    checks.missedRuns = runs.missing;
    if (runs.stuck > 0 || runs.missing.length > 0) healthy = false;
    deps.metrics.record({ name: MetricName.MissedRuns, value: runs.missing.length, unit: 'Count' });
    checks.opsSummary = await opsSummaryCheck(deps, summary, runs.ops_summary ?? null);
    for (const missed of runs.missing) {
      deps.metrics.record({ name: MetricName.MissedRuns, value: 1, unit: 'Count', pipelineType: missed.job_type as JobType });
      deps.logger.error('scheduled run missing', {
        pipeline_type: missed.job_type,
        period_key: missed.period_key,
        rule: ruleName(deps.config.environment, pipelineOf(missed.job_type as JobType).rule),
      });
    }
  } catch (error) {
    checks.database = 'error';
    checks.databaseError = error instanceof Error ? error.message : String(error);
    healthy = false;
    // The guide's P1 "database unavailable": the health job runs every 15 minutes whatever the database does.
    deps.metrics.record({ name: MetricName.DatabaseUnreachable, value: 1, unit: 'Count' });
  }

  checks.status = healthy ? 'healthy' : 'unhealthy';
  deps.logger[healthy ? 'info' : 'error']('health', { ...checks });
  return { ok: true, kind: 'health', jobType: 'health', status: healthy ? 'succeeded' : 'failed', durationMs: Date.now() - startedMs, health: checks };
}
