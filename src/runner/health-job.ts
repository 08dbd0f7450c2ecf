import { MetricName } from '../curator/ports.js';
import { jobTypes, lastFiring, pipelineOf, type Firing, type JobType } from '../pipelines/index.js';
import type { CuratorDeps } from './deps.js';
import { emptyTally, type JobSummary } from './tally.js';

/** A firing younger than this may still be starting; it is not counted missing yet. */
const startGraceMs = 30 * 60_000;
/** How far back a missed firing is still reported (the monthly job's gap is the longest). */
const lookbackMs = 35 * 86_400_000;

/** The last firing of every scheduled pipeline that should have started by now. */
export function expectedRuns(now: Date): Array<{ job_type: JobType; period_key: string; firing: Firing }> {
  return jobTypes.flatMap((jobType) => {
    const firing = lastFiring(jobType, new Date(now.getTime() - startGraceMs));
    if (firing === null || now.getTime() - firing.scheduledTime.getTime() > lookbackMs) return [];
    return [{ job_type: jobType, period_key: firing.periodKey, firing }];
  });
}

/**
 * The health job: can the database and the switches be read, how many runs are running, stuck, succeeded and
 * failed in the last hour, and which scheduled run never started (published as MissedRuns, since a metric alarm
 * cannot look back a month). Sends nothing.
 */
export async function runHealth(deps: CuratorDeps): Promise<JobSummary> {
  const startedMs = Date.now();
  const now = deps.clock.now();
  const checks: Record<string, unknown> = {};
  let healthy = true;

  try {
    const snapshot = await deps.switches.read();
    checks.switches = snapshot.parameters === null ? 'unreadable' : snapshot.stale ? 'stale' : 'ok';
    if (snapshot.parameters === null) healthy = false;
  } catch (error) {
    checks.switches = 'unreadable';
    checks.switchesError = error instanceof Error ? error.message : String(error);
    healthy = false;
  }

  try {
    const expected = expectedRuns(now);
    const runs = await deps.store.health({
      now,
      since: new Date(now.getTime() - 3_600_000),
      expected: expected.map(({ job_type, period_key }) => ({ job_type, period_key })),
    });
    checks.database = 'ok';
    checks.runs = { running: runs.running, stuck: runs.stuck, succeeded: runs.succeeded, failed: runs.failed };
    checks.successRate = runs.success_rate;
    checks.missedRuns = runs.missing;
    if (runs.stuck > 0 || runs.missing.length > 0) healthy = false;
    deps.metrics.record({ name: MetricName.MissedRuns, value: runs.missing.length, unit: 'Count' });
    for (const missed of runs.missing) {
      deps.metrics.record({ name: MetricName.MissedRuns, value: 1, unit: 'Count', pipelineType: missed.job_type as JobType });
      deps.logger.error('scheduled run missing', {
        pipeline_type: missed.job_type,
        period_key: missed.period_key,
        rule: `storytailor-${pipelineOf(missed.job_type as JobType).rule}-${deps.config.environment}`,
      });
    }
  } catch (error) {
    checks.database = 'error';
    checks.databaseError = error instanceof Error ? error.message : String(error);
    healthy = false;
  }

  checks.status = healthy ? 'healthy' : 'unhealthy';
  deps.logger[healthy ? 'info' : 'error']('health', { ...checks });
  return {
    ok: true,
    jobType: 'health',
    kind: 'health',
    periodKey: null,
    runId: null,
    status: healthy ? 'succeeded' : 'failed',
    tally: emptyTally(),
    durationMs: Date.now() - startedMs,
    health: checks,
  };
}
