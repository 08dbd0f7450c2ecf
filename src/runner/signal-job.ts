import { emailPolicyJson } from '../curator/policy.js';
import type { VetoReason } from '../curator/verdict.js';
import { pipelineOf, type JobType } from '../pipelines/index.js';
import type { SignalCandidate } from '../store/rows.js';
import { sendEmails } from './actions.js';
import type { CuratorDeps } from './deps.js';
import { cursorAfter, decodeReplayCursor, encodeReplayCursor, heldTargets, replayContinuation, type ReplayCursor } from './replay-targets.js';
import type { ReplayJob, SignalJob } from './job-request.js';
import { processPage, readRules, recordPageMetrics, type PagePlan, type PageRules } from './page.js';
import { emailFacts, templateOf } from './plans.js';
import { finishRun, handOn, saveProgress, takeRun } from './run-lifecycle.js';
import { addTally, emptyTally, type JobSummary, type Tally } from './tally.js';
import { nearDeadline } from './walk.js';

interface SignalRow {
  readonly signal: SignalJob;
  readonly found: SignalCandidate;
  readonly childId: string | null;
}

function childOf(context: Readonly<Record<string, unknown>>): string | null {
  const child = context.childId ?? context.child_id;
  return typeof child === 'string' && child.length > 0 ? child : null;
}

/** What the execution row keeps of the signal: enough to decide it again on a replay. */
function triggerData(signal: SignalJob, childId: string | null): Record<string, unknown> {
  return {
    signal_id: signal.signalId,
    event_timestamp: signal.eventTimestamp,
    child_id: childId,
    confidence: signal.confidence,
    signal_count: signal.signalCount,
    context: signal.context,
  };
}

function signalPlan(deps: CuratorDeps, row: SignalRow): PagePlan<SignalRow> {
  const { jobType } = row.signal;
  const emailType = pipelineOf(jobType).emailType!;
  return {
    jobType,
    load: async (page) => (page.after === null ? [row] : []),
    subjectOf: (it) => it.signal.userId,
    periodOf: (it) => it.signal.signalId,
    userOf: (it) => it.signal.userId,
    existingOf: (it) => it.found.existing,
    candidateOf: (it, policy) => {
      const facts = emailFacts(it.found.facts!);
      const perChild = policy.typeCap?.scope === 'child' && it.found.child_type_count !== null;
      return {
        subjectKey: it.signal.userId,
        alreadySucceeded: it.found.existing?.status === 'succeeded',
        signalCount: it.signal.signalCount,
        confidence: it.signal.confidence,
        eventTimestamp: new Date(it.signal.eventTimestamp),
        email: perChild ? { ...facts, typeCount: it.found.child_type_count! } : facts,
        credit: null,
      };
    },
    recordOf: (it) => ({ trigger_data: triggerData(it.signal, it.childId), template_id: templateOf(deps, emailType), credit: null }),
    act: (claims, policy) =>
      sendEmails(
        deps,
        claims.map(({ row: it, claim }) => ({
          claim,
          email: {
            executionId: claim.executionId,
            userId: it.signal.userId,
            to: it.found.user!.email,
            emailType,
            templateId: templateOf(deps, emailType),
            templateData: {
              first_name: it.found.user!.first_name,
              signal_id: it.signal.signalId,
              event_timestamp: it.signal.eventTimestamp,
              child_id: it.childId,
              context: it.signal.context,
            },
          },
        })),
        policy.critical,
      ),
  };
}

/**
 * A signal that names no user cannot be sent, but it is not garbage either: it is recorded failed (escalated for
 * a crisis alert, so a human looks) rather than dropped.
 */
async function recordUnknownUser(deps: CuratorDeps, signal: SignalJob, rules: PageRules, runId: string | null, childId: string | null): Promise<Tally> {
  const tally = emptyTally();
  tally.candidates = 1;
  const critical = rules.policy.critical;
  const error = `userId ${signal.userId} names no user`;
  if (!signal.dryRun) {
    await deps.store.recordDecisions({
      runId,
      jobType: signal.jobType,
      pipelineName: pipelineOf(signal.jobType).slug,
      emailType: pipelineOf(signal.jobType).emailType,
      policy: emailPolicyJson(rules.policy),
      creditCeilingCents: null,
      retakeVetoReason: null,
      retakeUnknown: critical,
      now: deps.clock.now(),
      rows: [
        {
          subject_key: signal.userId,
          period_key: signal.signalId,
          user_id: signal.userId,
          verdict: 'fail',
          veto_reason: null,
          escalate: critical,
          confidence_score: signal.confidence,
          signal_count: signal.signalCount,
          trigger_data: triggerData(signal, childId),
          error,
          template_id: null,
          credit: null,
        },
      ],
    });
  }
  if (critical) tally.escalated += 1;
  else tally.failed += 1;
  deps.logger.error('decision', {
    pipeline_type: signal.jobType,
    email_type: pipelineOf(signal.jobType).emailType,
    user_id: signal.userId,
    vetoed: false,
    execute: false,
    veto_reason: null,
    status: critical ? 'escalated' : 'failed',
    error,
  });
  recordPageMetrics(deps, signal.jobType, tally);
  return tally;
}

/** Decides and acts on one realtime signal. `retakeVetoReason` lets a replay decide a held signal again. */
async function decideSignal(
  deps: CuratorDeps,
  signal: SignalJob,
  options: { runId: string | null; retakeVetoReason: VetoReason | null },
): Promise<Tally> {
  const rules = await readRules(deps, signal.jobType);
  const childId = childOf(signal.context);
  const found = await deps.store.signalCandidate({
    jobType: signal.jobType,
    emailType: pipelineOf(signal.jobType).emailType!,
    signalId: signal.signalId,
    userId: signal.userId,
    childId,
    policy: emailPolicyJson(rules.policy),
    at: deps.clock.now(),
  });
  if (found.user === null) return recordUnknownUser(deps, signal, rules, options.runId, childId);
  const row: SignalRow = { signal, found, childId };
  const { tally } = await processPage(deps, signalPlan(deps, row), [row], rules, { emailsThisRun: 0, creditsTodayCents: 0 }, {
    runId: options.runId,
    dryRun: signal.dryRun,
    retakeVetoReason: options.retakeVetoReason,
  });
  return tally;
}

/** A realtime signal from the app, keyed by its signal id so the app's retries act once. */
export async function runSignal(deps: CuratorDeps, signal: SignalJob): Promise<JobSummary> {
  const startedMs = Date.now();
  const tally = await decideSignal(deps, signal, { runId: null, retakeVetoReason: null });
  return {
    ok: true,
    jobType: signal.jobType,
    kind: 'signal',
    periodKey: signal.signalId,
    runId: null,
    status: signal.dryRun ? 'dry_run' : 'succeeded',
    tally,
    durationMs: Date.now() - startedMs,
  };
}

/**
 * A replay of realtime signals: each execution of the pipeline created in [from, to] that was vetoed for
 * `vetoReason` (or, without one, failed or of unknown outcome) is decided again from the signal it recorded,
 * through every check: a held crisis alert long past its SLA is escalated, not sent late.
 */
export async function replaySignals(deps: CuratorDeps, request: ReplayJob, range: { from: Date; to: Date }): Promise<JobSummary> {
  const startedMs = Date.now();
  const jobType: JobType = request.jobType;
  const periodKey = `replay:${request.vetoReason ?? 'failed'}:${range.from.toISOString()}/${range.to.toISOString()}`;
  const base = { ok: true as const, jobType, kind: 'replay' as const, periodKey };
  const run = request.dryRun ? null : await takeRun(deps, { jobType, periodKey, trigger: 'replay', eventId: request.eventId, scheduledFor: null });
  if (run !== null && 'taken' in run) {
    return { ...base, runId: run.runId, status: 'skipped', reason: run.reason, tally: emptyTally(), durationMs: Date.now() - startedMs };
  }
  const tally = emptyTally();
  // A continued replay resumes after the last held signal it finished.
  let after: ReplayCursor | null = decodeReplayCursor(run?.cursor ?? null);
  for (let index = 0; ; index += 1) {
    if (run !== null && index > 0 && nearDeadline(deps)) {
      await handOn(deps, run, replayContinuation(request, range), { pipeline_type: jobType, period_key: periodKey });
      return { ...base, runId: run.runId, status: 'continued', reason: 'deadline', tally, durationMs: Date.now() - startedMs };
    }
    const targets = await heldTargets(deps, request, range, after);
    if (targets.length === 0) break;
    const page = emptyTally();
    for (const target of targets) {
      const recorded = target.trigger_data;
      const signal: SignalJob = {
        kind: 'signal',
        jobType,
        signalId: target.period_key,
        userId: target.user_id ?? target.subject_key,
        confidence: typeof recorded.confidence === 'number' ? recorded.confidence : (target.confidence_score ?? 0),
        signalCount: typeof recorded.signal_count === 'number' ? recorded.signal_count : (target.signal_count ?? 0),
        eventTimestamp: typeof recorded.event_timestamp === 'string' ? recorded.event_timestamp : '',
        context: (recorded.context as Record<string, unknown> | undefined) ?? {},
        dryRun: request.dryRun,
      };
      addTally(page, await decideSignal(deps, signal, { runId: run?.runId ?? null, retakeVetoReason: request.vetoReason }));
    }
    addTally(tally, page);
    after = cursorAfter(targets[targets.length - 1]!);
    if (run !== null && !(await saveProgress(deps, run, encodeReplayCursor(after), page))) {
      return { ...base, runId: run.runId, status: 'skipped', reason: 'lease_lost', tally, durationMs: Date.now() - startedMs };
    }
    if (targets.length < deps.config.pageSize) break;
  }
  if (run === null) {
    return { ...base, runId: null, status: 'dry_run', tally, durationMs: Date.now() - startedMs, lastRealRun: await deps.store.lastRun(jobType) };
  }
  await finishRun(deps, run, { jobType, status: 'succeeded', error: null, tally, startedMs });
  return { ...base, runId: run.runId, status: 'succeeded', tally, durationMs: Date.now() - startedMs };
}
