import { MetricName } from '../../curator/ports.js';
import type { CuratorDeps } from '../deps.js';
import type { SignalJob } from '../../requests/job-request.js';
import type { DryRunResult, SignalResult } from '../job-result.js';
import { Walk } from '../pages/drive.js';
import { readRules } from '../pages/rules.js';
import { loadSignal, signalPlan } from '../plans/signal-plan.js';
import { dryWalkOptions, reportDryRun } from './dry-run.js';

/**
 * A realtime signal from the app, keyed by its signal id so the app's retries act once: a page of one row (the
 * signal and what the database knows of its user, loaded with the rules of now), decided and acted on as any page
 * is. It holds no run: its execution row is its record, and the health job settles one whose invocation died
 * before its outcome.
 */
export async function runSignal(deps: CuratorDeps, signal: SignalJob): Promise<SignalResult | DryRunResult> {
  const startedMs = Date.now();
  const { jobType } = signal;
  const options = signal.dryRun
    ? await dryWalkOptions(deps, jobType)
    : { jobType, runId: null, dryRun: false, retakeVetoReason: null, lease: null, cursor: null, canContinue: false, spend: { emailsThisRun: 0, creditsTodayCents: 0 } };
  const walk = new Walk(deps, options);
  const rules = await readRules(deps, jobType);
  const row = await loadSignal(deps, signal, rules.policy);
  await walk.take(signalPlan(deps, row), { rows: [row], rules }, null);
  const { tally } = await walk.end();
  if (signal.dryRun) return reportDryRun(deps, { kind: 'signal', jobType, periodKey: signal.signalId, eventId: null, startedMs }, tally);
  const durationMs = Date.now() - startedMs;
  // One signal is the guide's "single pipeline execution" (target: under 5 s at p95).
  deps.metrics.record({ name: MetricName.JobDuration, value: durationMs, unit: 'Milliseconds', pipelineType: jobType });
  return { ok: true, kind: 'signal', jobType, periodKey: signal.signalId, status: 'succeeded', tally, durationMs };
}
