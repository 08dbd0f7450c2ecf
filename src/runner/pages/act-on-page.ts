import { emailPolicyJson, policyVersion } from '../../curator/policy.js';
import { MetricName } from '../../curator/ports.js';
import type { VetoReason } from '../../curator/verdict.js';
import { pipelineOf, type JobType } from '../../pipelines/index.js';
import type { LeaseRef } from '../../store/curator-store.js';
import type { CuratorDeps } from '../deps.js';
import type { WalkGate } from '../effects/request-gate.js';
import { runCounts, type Tally } from '../tally.js';
import { queueCrisisChecks } from '../effects/crisis-checks.js';
import { decisionKey, logDecision, retakesUnknown, type DecidedPage } from './decide-page.js';
import type { ActResult } from '../effects/claim.js';
import type { PageOptions, PagePlan } from './page-plan.js';

const logLevel = (status: string) => (status === 'failed' || status === 'escalated' ? 'error' : 'info');

/** What a page acts under: the walk's gate, and where its progress is saved (null: nothing is saved). */
export interface PageSink {
  readonly gate: WalkGate;
  readonly lease: LeaseRef | null;
  /** The cursor the walk has reached when the page's progress is saved (it only passes finished pages). */
  cursor(): string | null;
}

/** A page acted on: its tally, whether its progress was saved with its outcomes, and whether the lease held. */
export interface ActedPage {
  readonly tally: Tally;
  readonly saved: boolean;
  readonly held: boolean;
}

/**
 * Records a decided page in one statement (which claims the actions and re-checks caps and spend under locks),
 * takes the claimed actions through the walk's gate, and records the outcomes with the page's progress in one
 * statement; one log line per decision. Answers the page's whole tally.
 */
export async function actOnPage<Row>(
  deps: CuratorDeps,
  plan: PagePlan<Row>,
  page: DecidedPage<Row>,
  options: PageOptions,
  sink: PageSink,
): Promise<ActedPage> {
  const tally = page.tally;
  if (options.dryRun || page.decisionRows.length === 0) return { tally, saved: false, held: true };
  const { policy } = page.rules;
  const pipeline = pipelineOf(plan.jobType);
  const log = (level: 'info' | 'error', fields: Record<string, unknown>) => logDecision(deps, plan.jobType, level, fields);
  const { batch, gate } = sink.gate.forPage();

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
    batch,
    policyVersion: policyVersion(policy),
  });

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
    log(settled.status === 'vetoed' ? 'info' : 'error', {
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
    return { row: entry.row, entry, claim: { executionId: claimed.execution_id, emailLogId: claimed.email_log_id, ledger: claimed.ledger } };
  });
  // Before a crisis alert is sent, its check two minutes on is queued: it stands in for a redelivery that never comes.
  if (policy.critical && pipeline.channel === 'email' && claims.length > 0) await queueCrisisChecks(deps, claims.map((claim) => claim.claim.executionId));
  const results: ActResult[] = claims.length === 0 ? [] : await plan.act(claims, policy, gate);
  for (const result of results) countOutcome(tally, result);

  let saved = false;
  let held = true;
  if (results.length > 0) {
    const progress = sink.lease === null ? null : { lease: sink.lease, cursor: sink.cursor(), counts: runCounts(tally) };
    held = await deps.store.recordOutcomes(deps.clock.now(), results.map((result) => result.outcome), progress);
    saved = progress !== null;
  }

  const byExecution = new Map(claims.map((claim) => [claim.claim.executionId, claim]));
  for (const result of results) {
    const { status, error } = result.outcome;
    const claim = result.outcome.execution_id === null ? undefined : byExecution.get(result.outcome.execution_id);
    const sla = claim?.entry.verdict.outcome === 'execute' ? claim.entry.verdict.sla : null;
    log(logLevel(status), {
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
  return { tally, saved, held };
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
