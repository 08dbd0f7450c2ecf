import { decideBatch, type Candidate, type SpendSoFar } from '../curator/decide.js';
import { emailPolicyJson, resolvePolicy, type PipelinePolicy } from '../curator/policy.js';
import { MetricName } from '../curator/ports.js';
import { parseSwitch, type PipelineSwitches } from '../curator/switches.js';
import type { Verdict, VetoReason } from '../curator/verdict.js';
import { globalSwitchSlug, parameterKey, pipelineOf, tunableNames, type JobType } from '../pipelines/index.js';
import type { DecisionRow, OutcomeRow } from '../store/curator-store.js';
import type { ExistingExecution, LedgerRef, ShardBounds } from '../store/rows.js';
import type { CuratorDeps } from './deps.js';
import { emptyTally, type Tally } from './tally.js';

/** A decision the database accepted as the action to take. */
export interface Claim {
  readonly executionId: string;
  readonly emailLogId: string | null;
  readonly ledger: LedgerRef;
}

/** What came of one claimed action, with what the tally and the logs need. */
export interface ActResult {
  readonly outcome: OutcomeRow;
  readonly emailSent?: boolean;
  /** The provider refused the email or never answered. */
  readonly emailFailed?: boolean;
  readonly creditedCents?: number;
  readonly reversedCents?: number;
}

/** Where a page starts and what it covers. */
export interface PageRequest {
  readonly after: string | null;
  readonly limit: number;
  /** Only these subjects (a replay's users or held actions); null for the whole population. */
  readonly subjects: readonly string[] | null;
  /** A shard's last subject (inclusive); null for the whole population. Only plans with `shardBounds` take it. */
  readonly through: string | null;
}

/** Decisions about one kind of candidate row: how to load it, decide it, record it and act on it. */
export interface PagePlan<Row> {
  readonly jobType: JobType;
  /** One page of candidates in one round trip, facts counted under `policy`. */
  load(page: PageRequest, policy: PipelinePolicy): Promise<Row[]>;
  subjectOf(row: Row): string;
  periodOf(row: Row): string;
  userOf(row: Row): string | null;
  existingOf(row: Row): ExistingExecution;
  /** Page-wide facts gathered before deciding (credit balances, ...). */
  prepare?(rows: readonly Row[]): Promise<void>;
  candidateOf(row: Row, policy: PipelinePolicy): Candidate;
  /** What the execution row records beside the verdict. */
  recordOf(row: Row, verdict: Verdict, policy: PipelinePolicy): Pick<DecisionRow, 'trigger_data' | 'template_id' | 'credit'>;
  /** Takes the claimed actions, in batches, and answers one result per claim. */
  act(claims: ReadonlyArray<{ row: Row; claim: Claim }>, policy: PipelinePolicy): Promise<ActResult[]>;
  /** Plans whose population can outgrow one invocation: its size and the subjects that cut it into shards. */
  shardBounds?(shardSize: number): Promise<ShardBounds>;
}

/** The switches and policy in force for a page, read just before it is decided. */
export interface PageRules {
  readonly policy: PipelinePolicy;
  readonly switches: PipelineSwitches;
}

/** Reads the switches (from the adapter's cache) and resolves the pipeline's policy with ops' overrides. */
export async function readRules(deps: CuratorDeps, jobType: JobType): Promise<PageRules> {
  const snapshot = await deps.switches.read();
  const parameters = snapshot.parameters ?? new Map<string, string>();
  const { policy, problems } = resolvePolicy(jobType, parameters);
  for (const problem of problems) deps.logger.warn('ignored a malformed parameter', { pipeline_type: jobType, problem });
  if (snapshot.parameters === null) {
    deps.logger.warn('kill switches unreadable and never read; email and credit pipelines veto', { pipeline_type: jobType });
  }
  const state = (slug: string) =>
    snapshot.parameters === null ? 'unknown' : parseSwitch(parameters.get(parameterKey(slug, tunableNames.enabled)));
  return { policy, switches: { global: state(globalSwitchSlug), pipeline: state(pipelineOf(jobType).slug) } };
}

/** How a replay treats an existing decision. */
export interface PageOptions {
  readonly runId: string | null;
  readonly dryRun: boolean;
  /** Rows vetoed for this reason are decided again (a replay with vetoReason). */
  readonly retakeVetoReason: VetoReason | null;
}

function disposition(existing: ExistingExecution, options: PageOptions, critical: boolean): 'decide' | 'skipped' | 'unchanged' {
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
      return critical ? 'decide' : 'unchanged';
    case 'skipped':
    case 'escalated':
      return 'unchanged';
    default: {
      const unknown: never = existing.status;
      throw new Error(`unknown execution status ${String(unknown)}`);
    }
  }
}

const logLevel = (status: string) => (status === 'failed' || status === 'escalated' ? 'error' : 'info');

/** A page decided in memory and not yet recorded: what {@link actOnPage} records and acts on. */
export interface DecidedPage<Row> {
  readonly tally: Tally;
  readonly spend: SpendSoFar;
  readonly decisionRows: readonly DecisionRow[];
  readonly entries: ReadonlyMap<string, { row: Row; verdict: Verdict; candidate: Candidate }>;
  readonly rules: PageRules;
  readonly startedAt: Date;
}

const keyOf = (subject: string, period: string) => `${subject}\u0000${period}`;

function logDecision(deps: CuratorDeps, jobType: JobType, level: 'info' | 'error', fields: Record<string, unknown>): void {
  deps.logger[level]('decision', { pipeline_type: jobType, email_type: pipelineOf(jobType).emailType, ...fields });
}

/**
 * Decides one page in memory, in order: skips what already succeeded, leaves what a replay must not redo, and
 * runs the decision over the rest with the spend so far. Synchronous once the plan's page facts are prepared, so
 * pages decided one after another see each other's spend.
 */
export async function decidePage<Row>(
  deps: CuratorDeps,
  plan: PagePlan<Row>,
  rows: readonly Row[],
  rules: PageRules,
  spend: SpendSoFar,
  options: PageOptions,
): Promise<DecidedPage<Row>> {
  const tally = emptyTally();
  tally.candidates = rows.length;
  const { policy, switches } = rules;
  const startedAt = deps.clock.now();
  await plan.prepare?.(rows);

  const toDecide: Row[] = [];
  for (const row of rows) {
    const disposed = disposition(plan.existingOf(row), options, policy.critical);
    if (disposed === 'decide') toDecide.push(row);
    else if (disposed === 'skipped') {
      tally.skipped += 1;
      logDecision(deps, plan.jobType, 'info', { user_id: plan.userOf(row), vetoed: false, execute: false, veto_reason: null, status: 'skipped' });
    } else tally.unchanged += 1;
  }

  const candidates = toDecide.map((row) => plan.candidateOf(row, policy));
  const decided = decideBatch(candidates, { policy, switches, startedAt }, spend);
  const decisionRows: DecisionRow[] = [];
  const entries = new Map<string, { row: Row; verdict: Verdict; candidate: Candidate }>();
  toDecide.forEach((row, index) => {
    const verdict = decided.verdicts[index]!;
    const candidate = candidates[index]!;
    if (options.dryRun) {
      if (verdict.outcome === 'execute') tally.executed += 1;
      else if (verdict.outcome === 'skipped') tally.skipped += 1;
      else {
        tally.vetoed[verdict.reason] = (tally.vetoed[verdict.reason] ?? 0) + 1;
        if (verdict.escalate) tally.escalated += 1;
      }
      return;
    }
    if (verdict.outcome === 'skipped') {
      tally.skipped += 1;
      return;
    }
    entries.set(keyOf(plan.subjectOf(row), plan.periodOf(row)), { row, verdict, candidate });
    decisionRows.push({
      subject_key: plan.subjectOf(row),
      period_key: plan.periodOf(row),
      user_id: plan.userOf(row),
      verdict: verdict.outcome === 'execute' ? 'execute' : 'veto',
      veto_reason: verdict.outcome === 'veto' ? verdict.reason : null,
      escalate: verdict.outcome === 'veto' && verdict.escalate,
      confidence_score: candidate.confidence,
      signal_count: candidate.signalCount,
      error: null,
      ...plan.recordOf(row, verdict, policy),
    });
  });
  return { tally, spend: decided.spend, decisionRows, entries, rules, startedAt };
}

/**
 * Records a decided page in one statement (which claims the actions and re-checks caps and spend under locks),
 * acts on what was claimed in batches, records the outcomes in one statement, and logs one line per decision.
 * Answers the page's whole tally.
 */
export async function actOnPage<Row>(deps: CuratorDeps, plan: PagePlan<Row>, page: DecidedPage<Row>, options: PageOptions): Promise<Tally> {
  const tally = page.tally;
  if (options.dryRun || page.decisionRows.length === 0) return tally;
  const { policy } = page.rules;
  const pipeline = pipelineOf(plan.jobType);
  const log = (level: 'info' | 'error', fields: Record<string, unknown>) => logDecision(deps, plan.jobType, level, fields);

  const recorded = await deps.store.recordDecisions({
    runId: options.runId,
    jobType: plan.jobType,
    pipelineName: pipeline.slug,
    emailType: pipeline.emailType,
    policy: pipeline.channel === 'email' ? emailPolicyJson(policy) : null,
    creditCeilingCents: pipeline.channel === 'credit' ? policy.ceilings.dailyCreditCents : null,
    retakeVetoReason: options.retakeVetoReason,
    retakeUnknown: policy.critical,
    now: page.startedAt,
    rows: page.decisionRows,
  });

  tally.unchanged += recorded.unchanged.length;
  for (const vetoed of recorded.vetoed) {
    const entry = page.entries.get(keyOf(vetoed.subject_key, vetoed.period_key));
    const sla = entry?.verdict.outcome === 'execute' || entry?.verdict.outcome === 'veto' ? entry.verdict.sla : null;
    if (vetoed.reason !== null) tally.vetoed[vetoed.reason] = (tally.vetoed[vetoed.reason] ?? 0) + 1;
    else if (!vetoed.escalated) {
      // Another run is taking this very action (a credit in flight): recorded skipped here.
      tally.skipped += 1;
      continue;
    }
    if (vetoed.escalated) tally.escalated += 1;
    log(vetoed.escalated ? 'error' : 'info', {
      user_id: entry ? plan.userOf(entry.row) : null,
      vetoed: vetoed.reason !== null,
      execute: false,
      veto_reason: vetoed.reason,
      confidence_score: entry?.candidate.confidence ?? null,
      signal_count: entry?.candidate.signalCount ?? null,
      elapsed_minutes: sla?.elapsedMinutes ?? null,
      sla_minutes: sla?.slaMinutes ?? null,
      status: vetoed.escalated ? 'escalated' : 'vetoed',
      execution_id: vetoed.execution_id,
    });
  }

  const claims = recorded.claimed.map((claimed) => {
    const entry = page.entries.get(keyOf(claimed.subject_key, claimed.period_key));
    if (!entry) throw new Error(`the store claimed ${claimed.subject_key} which this page did not decide`);
    return { row: entry.row, entry, claim: { executionId: claimed.execution_id, emailLogId: claimed.email_log_id, ledger: claimed.ledger } };
  });
  const results = claims.length === 0 ? [] : await plan.act(claims, policy);
  await deps.store.recordOutcomes(deps.clock.now(), results.map((result) => result.outcome));

  const byExecution = new Map(claims.map((claim) => [claim.claim.executionId, claim]));
  for (const result of results) {
    const { status, error } = result.outcome;
    if (status === 'succeeded') tally.executed += 1;
    else if (status === 'failed') tally.failed += 1;
    else if (status === 'unknown') tally.unknown += 1;
    else tally.escalated += 1;
    if (result.emailSent) tally.emailsSent += 1;
    if (result.emailFailed) tally.emailsFailed += 1;
    if ((result.creditedCents ?? 0) > 0) tally.creditsIssued += 1;
    tally.creditsIssuedCents += result.creditedCents ?? 0;
    tally.creditsReversedCents += result.reversedCents ?? 0;
    const claim = result.outcome.execution_id === null ? undefined : byExecution.get(result.outcome.execution_id);
    const sla = claim?.entry.verdict.outcome === 'execute' ? claim.entry.verdict.sla : null;
    log(logLevel(status), {
      user_id: claim ? plan.userOf(claim.row) : null,
      vetoed: false,
      execute: true,
      veto_reason: null,
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
  return tally;
}

/**
 * Decides one page of candidates and acts on it with the rules read just before the page was loaded: skip what
 * already succeeded, decide the rest in memory, record every decision in one statement before anything is sent,
 * act on what was claimed in batches, then record the outcomes in one statement. One log line per decision. A dry
 * run stops after deciding. Returns the page's tally and the spend after it.
 */
export async function processPage<Row>(
  deps: CuratorDeps,
  plan: PagePlan<Row>,
  rows: readonly Row[],
  rules: PageRules,
  spend: SpendSoFar,
  options: PageOptions,
): Promise<{ tally: Tally; spend: SpendSoFar }> {
  if (rows.length === 0) return { tally: emptyTally(), spend };
  const decided = await decidePage(deps, plan, rows, rules, spend, options);
  return { tally: await actOnPage(deps, plan, decided, options), spend: decided.spend };
}

/** The page's metrics: decisions, vetoes by reason, SLA misses, sends, failures, credits, escalations. */
export function recordPageMetrics(deps: CuratorDeps, pipelineType: JobType, tally: Tally): void {
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
  count(MetricName.EmailsSent, tally.emailsSent);
  count(MetricName.EmailDeliveryFailure, tally.emailsFailed);
  count(MetricName.CreditsIssued, tally.creditsIssued);
  if (pipelineOf(pipelineType).critical) count(MetricName.CrisisEscalations, tally.escalated);
}
