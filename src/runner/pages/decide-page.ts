import { decideBatch, type Candidate, type SpendSoFar } from '../../curator/decide.js';
import { decisionFacts } from '../../curator/decision-facts.js';
import type { PipelinePolicy } from '../../curator/policy.js';
import { recordedStatus, type Verdict } from '../../curator/verdict.js';
import { pipelineOf, type JobType } from '../../pipelines/index.js';
import type { DecisionRow } from '../../store/curator-store.js';
import type { ExistingExecution } from '../../store/rows.js';
import type { CuratorDeps } from '../deps.js';
import { emptyTally, type Tally } from '../tally.js';
import type { PageOptions, PagePlan } from './page-plan.js';
import type { PageRules } from './rules.js';

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

/** A page decided in memory and not yet recorded: what actOnPage records and acts on. */
export interface DecidedPage<Row> {
  readonly tally: Tally;
  readonly spend: SpendSoFar;
  readonly decisionRows: readonly DecisionRow[];
  readonly entries: ReadonlyMap<string, { row: Row; verdict: Verdict; candidate: Candidate }>;
  readonly rules: PageRules;
  readonly startedAt: Date;
}

export const decisionKey = (subject: string, period: string) => `${subject}\u0000${period}`;

/** One log line per decision, with the fields of DESIGN.md section 5. */
export function logDecision(deps: CuratorDeps, jobType: JobType, level: 'info' | 'error', fields: Record<string, unknown>): void {
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
  const entries = new Map<string, { row: Row; verdict: Verdict; candidate: Candidate }>();
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
