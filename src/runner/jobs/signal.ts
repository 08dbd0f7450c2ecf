import { MetricName } from '../../curator/ports.js';
import type { CuratorDeps } from '../deps.js';
import type { SignalJob } from '../job-request.js';
import type { DryRunResult, SignalResult } from '../job-result.js';
import { drive, pageWork, type PageSource } from '../pages/drive.js';
import { readRules } from '../pages/rules.js';
import { loadSignal, signalPlan } from '../plans/signal-plan.js';
import { dryRun } from './dry-run.js';

/** The one page of a signal: the signal and what the database knows of its user, loaded with the rules of now. */
function signalPage(deps: CuratorDeps, signal: SignalJob): PageSource {
  let done = false;
  return {
    get exhausted() {
      return done;
    },
    async next() {
      if (done) return null;
      done = true;
      const rules = await readRules(deps, signal.jobType);
      const row = await loadSignal(deps, signal, rules.policy);
      return pageWork(deps, signalPlan(deps, [row]), [row], rules, null, { runId: null, dryRun: signal.dryRun, retakeVetoReason: null });
    },
  };
}

/**
 * A realtime signal from the app, keyed by its signal id so the app's retries act once. It holds no run: its
 * execution row is its record, and the health job settles one whose invocation died before its outcome.
 */
export async function runSignal(deps: CuratorDeps, signal: SignalJob): Promise<SignalResult | DryRunResult> {
  const startedMs = Date.now();
  if (signal.dryRun) return dryRun(deps, { kind: 'signal', jobType: signal.jobType, periodKey: signal.signalId, eventId: null, pages: signalPage(deps, signal) });
  const spend = { emailsThisRun: 0, creditsTodayCents: 0 };
  const { tally } = await drive(deps, signalPage(deps, signal), { jobType: signal.jobType, lease: null, cursor: null, canContinue: false, spend });
  const durationMs = Date.now() - startedMs;
  // One signal is the guide's "single pipeline execution" (target: under 5 s at p95).
  deps.metrics.record({ name: MetricName.JobDuration, value: durationMs, unit: 'Milliseconds', pipelineType: signal.jobType });
  return { ok: true, kind: 'signal', jobType: signal.jobType, periodKey: signal.signalId, status: 'succeeded', tally, durationMs };
}
