import { decideBatch, type Candidate, type SpendSoFar } from '../../curator/decide.js';
import { decisionFacts } from '../../curator/decision-facts.js';
import { emailPolicyJson, policyVersion, type PipelinePolicy } from '../../curator/policy.js';
import { MetricName } from '../../curator/ports.js';
import { recordedStatus, type Verdict, type VetoReason } from '../../curator/verdict.js';
import { pipelineOf, type JobType } from '../../pipelines/index.js';
import type { DecisionRow, PageProgress } from '../../store/curator-store.js';
import type { ExistingExecution } from '../../store/rows.js';
import type { CuratorDeps } from '../deps.js';
import type { ActResult, Claim } from '../effects/claim.js';
import { queueCrisisChecks } from '../effects/crisis-checks.js';
import type { RequestGate } from '../effects/request-gate.js';
import { emptyTally, type Tally } from '../tally.js';
import type { PageOptions, PagePlan, PageRequest } from './page-plan.js';
import { readRules, type PageRules } from './rules.js';

/**
 * One page of a plan's candidates, from loading to its recorded outcomes: loadPage, decidePage (in memory, in
 * order), actOnPage (record the decisions, take the claimed actions) and recordPageOutcomes. A scheduled run, a
 * shard, a replay and a realtime signal (a page of one row) all go through these four.
 */

/** A page of rows with the switches and policy read just before it was loaded. */
export interface LoadedPage<Row> {
  readonly rows: readonly Row[];
  readonly rules: PageRules;
}

/** A page decided in memory and not yet recorded: what actOnPage records and acts on. */
export interface DecidedPage<Row> {
  readonly tally: Tally;
  readonly spend: SpendSoFar;
  readonly decisionRows: readonly DecisionRow[];
  readonly entries: ReadonlyMap<string, Decided<Row>>;
  readonly rules: PageRules;
  readonly startedAt: Date;
}

interface Decided<Row> {
  readonly row: Row;
  readonly verdict: Verdict;
  readonly candidate: Candidate;
}

/** A page whose actions were taken: the answers to record, with what each answered for. */
export interface ActedPage<Row> {
  readonly tally: Tally;
  /** The lease was still the walk's when its decisions were recorded (false: nothing was). */
  readonly held: boolean;
  /** Its decisions were recorded (not a dry run, not a page with nothing to decide). */
  readonly recorded: boolean;
  readonly results: readonly ActResult[];
  readonly claims: ReadonlyMap<string, { readonly row: Row; readonly entry: Decided<Row> }>;
}

const decisionKey = (subject: string, period: string) => `${subject}\u0000${period}`;

/** Reads the rules in force now, and loads one page of candidates under them (one round trip). */
export async function loadPage<Row>(deps: CuratorDeps, plan: PagePlan<Row>, request: PageRequest): Promise<LoadedPage<Row>> {
  const rules = await readRules(deps, plan.jobType);
  return { rows: await plan.load(request, rules.policy), rules };
}

/**
 * Whether a walk decides an existing decision again. What succeeded is skipped; what failed is redone; a veto is
 * redone only by a replay of its reason. An action whose outcome is unknown (or still pending) is redone only where
 * doing it twice is safe or required: a credit (its ledger row is looked up at Stripe before it is made again) and
 * a critical email (at least once).
 */
function disposition(existing: ExistingExecution, options: PageOptions, policy: PipelinePolicy): 'decide' | 'skipped' | 'unchanged' {
  if (existing === null) return 'decide';
  switch (existing.status) {
    case 'succeeded':
      return 'skipped';
    case 'failed':
      return 'decide';
    case 'vetoed':
      return existing.veto_reason === options.retakeVetoReason ? 'decide' : 'unchanged';
    case 'unknown':
    case 'pending':
      return retakesUnknown(policy) ? 'decide' : 'unchanged';
    case 'skipped':
    case 'escalated':
    // Held for quiet hours past its period: never sent late, whatever walks it.
    case 'superseded':
      return 'unchanged';
    default: {
      const unknown: never = existing.status;
      throw new Error(`unknown execution status ${String(unknown)}`);
    }
  }
}

/** Actions of this pipeline whose outcome is unknown may be taken again (see {@link disposition}). */
export function retakesUnknown(policy: PipelinePolicy): boolean {
  return policy.critical || policy.channel === 'credit';
}

/** One log line per decision, with the fields of DESIGN.md section 5. */
function logDecision(deps: CuratorDeps, jobType: JobType, level: 'info' | 'error', fields: Record<string, unknown>): void {
  deps.logger[level]('decision', { pipeline_type: jobType, email_type: pipelineOf(jobType).emailType, ...fields });
}

/**
 * Decides one page in memory, in order: skips what already succeeded, leaves what a walk must not redo, and runs
 * the decision over the rest with the spend so far. Synchronous once the plan's page facts are prepared, so pages
 * decided one after another see each other's spend. A dry run's tally counts what would happen.
 */
export async function decidePage<Row>(
  deps: CuratorDeps,
  plan: PagePlan<Row>,
  page: LoadedPage<Row>,
  spend: SpendSoFar,
  options: PageOptions,
): Promise<DecidedPage<Row>> {
  const { rows, rules } = page;
  const tally = emptyTally();
  tally.candidates = rows.length;
  const { policy, switches } = rules;
  const startedAt = deps.clock.now();
  await plan.prepare?.(rows);

  const toDecide: Row[] = [];
  for (const row of rows) {
    const disposed = disposition(plan.existingOf(row), options, policy);
    if (disposed === 'decide') toDecide.push(row);
    else if (disposed === 'skipped') {
      tally.skipped += 1;
      logDecision(deps, plan.jobType, 'info', { user_id: plan.userOf(row), vetoed: false, execute: false, veto_reason: null, status: 'skipped' });
    } else tally.unchanged += 1;
  }

  const candidates = toDecide.map((row) => plan.candidateOf(row, policy));
  const decided = decideBatch(candidates, { policy, switches, startedAt }, spend);
  const decisionRows: DecisionRow[] = [];
  const entries = new Map<string, Decided<Row>>();
  toDecide.forEach((row, index) => {
    const verdict = decided.verdicts[index]!;
    const candidate = candidates[index]!;
    if (verdict.outcome === 'skipped') {
      tally.skipped += 1;
      return;
    }
    if (options.dryRun) {
      countDryRun(tally, verdict);
      return;
    }
    entries.set(decisionKey(plan.subjectOf(row), plan.periodOf(row)), { row, verdict, candidate });
    decisionRows.push({
      subject_key: plan.subjectOf(row),
      period_key: plan.periodOf(row),
      user_id: plan.userOf(row),
      status: recordedStatus(verdict),
      veto_reason: verdict.outcome === 'veto' ? verdict.reason : null,
      held_until: verdict.outcome === 'veto' && verdict.heldUntil !== undefined ? verdict.heldUntil.toISOString() : null,
      confidence_score: candidate.confidence,
      signal_count: candidate.signalCount,
      facts: decisionFacts(candidate, policy, switches, decided.spendsBefore[index]!),
      error: verdict.outcome === 'fail' ? verdict.error : null,
      ...plan.recordOf(row, verdict, policy),
    });
  });
  return { tally, spend: decided.spend, decisionRows, entries, rules, startedAt };
}

function countDryRun(tally: Tally, verdict: Exclude<Verdict, { outcome: 'skipped' }>): void {
  switch (verdict.outcome) {
    case 'execute':
      tally.executed += 1;
      return;
    case 'veto':
      tally.vetoed[verdict.reason] = (tally.vetoed[verdict.reason] ?? 0) + 1;
      if (verdict.escalate) tally.escalated += 1;
      return;
    case 'fail':
      if (verdict.escalate) tally.escalated += 1;
      else tally.failed += 1;
      return;
    default: {
      const unknown: never = verdict;
      throw new Error(`unknown verdict ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * Records a decided page in one statement (which claims the actions, re-checks caps and spend under locks, and
 * records the page's request batch, fenced by the lease) and takes the claimed actions, asking `gate` before each
 * provider request; one log line per decision that claimed nothing. Answers the actions' results, for recordPageOutcomes. Nothing is recorded for a dry run.
 */
export async function actOnPage<Row>(
  deps: CuratorDeps,
  plan: PagePlan<Row>,
  page: DecidedPage<Row>,
  options: PageOptions,
  gate: RequestGate,
): Promise<ActedPage<Row>> {
  const tally = page.tally;
  if (options.dryRun || page.decisionRows.length === 0) return { tally, held: true, recorded: false, results: [], claims: new Map() };
  const { policy } = page.rules;
  const pipeline = pipelineOf(plan.jobType);

  const recorded = await deps.store.recordDecisions({
    runId: options.runId,
    jobType: plan.jobType,
    pipelineName: pipeline.slug,
    emailType: pipeline.emailType,
    policy: pipeline.channel === 'email' ? emailPolicyJson(policy) : null,
    creditCeilingCents: pipeline.channel === 'credit' ? policy.ceilings.dailyCreditCents : null,
    retakeVetoReason: options.retakeVetoReason,
    retakeUnknown: retakesUnknown(policy),
    now: page.startedAt,
    rows: page.decisionRows,
    batch: gate.batch,
    policyVersion: policyVersion(policy),
    lease: options.lease,
  });
  // Another invocation took the work over: this page is its to decide again.
  if (!recorded.held) return { tally: emptyTally(), held: false, recorded: false, results: [], claims: new Map() };

  tally.unchanged += recorded.unchanged.length;
  for (const settled of recorded.vetoed) {
    const entry = page.entries.get(decisionKey(settled.subject_key, settled.period_key));
    const verdict = entry?.verdict;
    const sla = verdict?.outcome === 'execute' || verdict?.outcome === 'veto' ? verdict.sla : null;
    switch (settled.status) {
      case 'skipped':
        // Another run is taking this very action (a credit in flight): recorded skipped here.
        tally.skipped += 1;
        continue;
      case 'failed':
        tally.failed += 1;
        break;
      case 'escalated':
        tally.escalated += 1;
        break;
      case 'vetoed':
        break;
      default: {
        const unknown: never = settled.status;
        throw new Error(`unknown recorded status ${String(unknown)}`);
      }
    }
    if (settled.reason !== null) tally.vetoed[settled.reason] = (tally.vetoed[settled.reason] ?? 0) + 1;
    logDecision(deps, plan.jobType, settled.status === 'vetoed' ? 'info' : 'error', {
      user_id: entry ? plan.userOf(entry.row) : null,
      vetoed: settled.reason !== null,
      execute: false,
      veto_reason: settled.reason,
      confidence_score: entry?.candidate.confidence ?? null,
      signal_count: entry?.candidate.signalCount ?? null,
      elapsed_minutes: sla?.elapsedMinutes ?? null,
      sla_minutes: sla?.slaMinutes ?? null,
      status: settled.status,
      error: verdict?.outcome === 'fail' ? verdict.error : null,
      execution_id: settled.execution_id,
    });
  }

  const claims = recorded.claimed.map((claimed) => {
    const entry = page.entries.get(decisionKey(claimed.subject_key, claimed.period_key));
    if (!entry) throw new Error(`the store claimed ${claimed.subject_key} which this page did not decide`);
    const claim: Claim = { executionId: claimed.execution_id, emailLogId: claimed.email_log_id, ledger: claimed.ledger };
    return { row: entry.row, entry, claim };
  });
  // Before a crisis alert is sent, its check two minutes on is queued: it stands in for a redelivery that never comes.
  if (policy.critical && pipeline.channel === 'email' && claims.length > 0) await queueCrisisChecks(deps, claims.map((claim) => claim.claim.executionId));
  const results: ActResult[] = claims.length === 0 ? [] : await plan.act(claims, policy, gate);
  for (const result of results) countOutcome(tally, result);
  return { tally, held: true, recorded: true, results, claims: new Map(claims.map((claim) => [claim.claim.executionId, claim])) };
}

const logLevel = (status: string) => (status === 'failed' || status === 'escalated' ? 'error' : 'info');

/**
 * Records an acted page's outcomes with the walk's progress (`progress`: its counts, the lease renewed, its cursor)
 * in one statement, logs one line per action, and records the page's metrics (none for a page it did not record).
 * Answers whether the lease held.
 */
export async function recordPageOutcomes<Row>(deps: CuratorDeps, plan: PagePlan<Row>, page: ActedPage<Row>, progress: PageProgress | null): Promise<boolean> {
  const { tally, results } = page;
  const held = results.length === 0 && progress === null ? true : await deps.store.recordOutcomes(deps.clock.now(), results.map((result) => result.outcome), progress);
  if (!page.recorded) return held;
  for (const result of results) {
    const { status, error } = result.outcome;
    const claim = result.outcome.execution_id === null ? undefined : page.claims.get(result.outcome.execution_id);
    const sla = claim?.entry.verdict.outcome === 'execute' ? claim.entry.verdict.sla : null;
    logDecision(deps, plan.jobType, logLevel(status), {
      user_id: claim ? plan.userOf(claim.row) : null,
      vetoed: status === 'vetoed',
      execute: status !== 'vetoed',
      veto_reason: result.outcome.veto_reason ?? null,
      confidence_score: claim?.entry.candidate.confidence ?? null,
      signal_count: claim?.entry.candidate.signalCount ?? null,
      elapsed_minutes: sla?.elapsedMinutes ?? null,
      sla_minutes: sla?.slaMinutes ?? null,
      status,
      error,
      execution_id: result.outcome.execution_id,
    });
  }
  recordPageMetrics(deps, plan.jobType, tally);
  return held;
}

function countOutcome(tally: Tally, result: ActResult): void {
  const { status, veto_reason } = result.outcome;
  if (status === 'succeeded') tally.executed += 1;
  else if (status === 'failed') tally.failed += 1;
  else if (status === 'unknown') tally.unknown += 1;
  else if (status === 'escalated') tally.escalated += 1;
  else if (veto_reason) tally.vetoed[veto_reason] = (tally.vetoed[veto_reason] ?? 0) + 1;
  if (result.emailSent) tally.emailsSent += 1;
  if (result.emailFailed) tally.emailsFailed += 1;
  if ((result.creditedCents ?? 0) > 0) tally.creditsIssued += 1;
  tally.creditsIssuedCents += result.creditedCents ?? 0;
  tally.creditsReversedCents += result.reversedCents ?? 0;
}

/** The page's metrics: decisions, vetoes by reason, SLA misses, sends (by pipeline and email type), failures, credits, escalations. */
function recordPageMetrics(deps: CuratorDeps, pipelineType: JobType, tally: Tally): void {
  const count = (name: MetricName, value: number, vetoReason?: VetoReason) => {
    if (value > 0) deps.metrics.record({ name, value, unit: 'Count', pipelineType, ...(vetoReason ? { vetoReason } : {}) });
  };
  const vetoes = Object.entries(tally.vetoed) as Array<[VetoReason, number]>;
  const decisions = tally.executed + tally.failed + tally.unknown + tally.escalated + vetoes.reduce((sum, [, n]) => sum + n, 0);
  count(MetricName.PipelineExecutions, decisions);
  for (const [reason, n] of vetoes) {
    count(MetricName.PipelineVetoes, n, reason);
    if (reason === 'SLA_MISSED') count(MetricName.SLAViolations, n);
    if (reason === 'BUDGET_EXCEEDED') count(MetricName.BudgetExceeded, n);
  }
  const pipeline = pipelineOf(pipelineType);
  if (tally.emailsSent > 0) {
    const emailType = pipeline.emailType === null ? {} : { emailType: pipeline.emailType };
    deps.metrics.record({ name: MetricName.EmailsSent, value: tally.emailsSent, unit: 'Count', pipelineType, ...emailType });
  }
  count(MetricName.EmailDeliveryFailure, tally.emailsFailed);
  count(MetricName.CreditsIssued, tally.creditsIssued);
  // A credit pipeline's failed or unanswered movement is a reward not (surely) paid: the guide's "referral reward failures".
  if (pipeline.channel === 'credit') count(MetricName.CreditFailures, tally.failed + tally.unknown);
  if (pipeline.critical) count(MetricName.CrisisEscalations, tally.escalated);
}
