import { frequencyCapsHold, type EmailFacts } from './caps.js';
import { DecisionInputError } from './errors.js';
import { escalates } from './escalation.js';
import { isKnownZone, quietUntil } from './quiet-hours.js';
import type { PipelinePolicy } from './policy.js';
import { switchesAllow, type PipelineSwitches } from './switches.js';
import { VetoReason, type SlaReading, type Verdict } from './verdict.js';

/** What a credit action needs to know about the account it pays into. */
export interface CreditFacts {
  readonly hasPaymentAccount: boolean;
  /** Cents this action moves: positive for a credit, negative for an expiry reversal. */
  readonly amountCents: number;
}

/** One candidate action: a subject in a period, with the facts the checks read. */
export interface Candidate {
  readonly subjectKey: string;
  /** An action for this subject and period already succeeded. */
  readonly alreadySucceeded: boolean;
  readonly signalCount: number | null;
  readonly confidence: number | null;
  /** Realtime signals: when the app saw it. */
  readonly eventTimestamp: Date | null;
  /** Required for email pipelines. */
  readonly email: EmailFacts | null;
  /** Required for credit pipelines. */
  readonly credit: CreditFacts | null;
  /** Why the action cannot be attempted at all (no such user, an unreadable signal); absent when it can. */
  readonly problem?: string | null;
}

/** What the run has spent before this candidate (this run's emails, today's credits across every run). */
export interface SpendSoFar {
  /** Emails this run (or this shard of it) has claimed. */
  readonly emailsThisRun: number;
  readonly creditsTodayCents: number;
  /**
   * The part of the emails-per-run ceiling this walk may spend: a shard's part of the population (1, or absent,
   * for a run walked whole). Each shard spends at most floor(ceiling x share), so together they never pass it.
   */
  readonly emailCeilingShare?: number;
}

/** Everything the decision reads besides the candidate. */
export interface DecisionContext {
  readonly policy: PipelinePolicy;
  readonly switches: PipelineSwitches;
  /** When the decision started; the SLA is measured to here. */
  readonly startedAt: Date;
  readonly spend: SpendSoFar;
}

function slaReading(candidate: Candidate, policy: PipelinePolicy, startedAt: Date): SlaReading | null {
  if (policy.slaMinutes === null) return null;
  if (candidate.eventTimestamp === null || Number.isNaN(candidate.eventTimestamp.getTime())) {
    return { elapsedMinutes: null, slaMinutes: policy.slaMinutes };
  }
  // A timestamp from the future (clock skew on the device) counts as now.
  const elapsedMs = Math.max(0, startedAt.getTime() - candidate.eventTimestamp.getTime());
  return { elapsedMinutes: elapsedMs / 60_000, slaMinutes: policy.slaMinutes };
}

/**
 * When an email deciding at `startedAt` may go, if the family's quiet hours hold it: its own window, else the
 * policy's. A pipeline that keeps no quiet hours, a family whose zone the app never gave, or a zone this runtime's
 * time zone data does not know (never a reason to hold an email) answers null: send now.
 */
function quietHoldUntil(policy: PipelinePolicy, email: EmailFacts, startedAt: Date): Date | null {
  const place = email.place;
  if (policy.quietHours === null || place === undefined || place === null || !isKnownZone(place.timeZone)) return null;
  return quietUntil(startedAt, place.timeZone, place.window ?? policy.quietHours);
}

function withinBudget(candidate: Candidate, context: DecisionContext): boolean {
  const { policy, spend } = context;
  switch (policy.channel) {
    case 'email':
      return spend.emailsThisRun + 1 <= Math.floor(policy.ceilings.emailsPerRun * (spend.emailCeilingShare ?? 1));
    case 'credit': {
      const amount = candidate.credit?.amountCents ?? 0;
      // Reversals take money back; only credits spend.
      return amount <= 0 || spend.creditsTodayCents + amount <= policy.ceilings.dailyCreditCents;
    }
    case 'sql':
      return true;
    default: {
      const unknown: never = policy.channel;
      throw new DecisionInputError(`unknown channel ${String(unknown)}`);
    }
  }
}

/**
 * Decides one candidate: skipped if already done for its period, failed if it cannot be attempted, else the first
 * failing check of DESIGN.md section 3 vetoes it, else it executes. Pure: the clock, switches, caps and spend
 * arrive in `context`. Whether a veto or a failure is escalated is {@link escalates}'s answer; the caps and the
 * credit ceiling are checked here on the page's facts and once more, under lock, where the decision is recorded
 * (curator_record_decisions), which may still veto an action two runs would otherwise both take.
 *
 * @example
 * const verdict = decide(candidate, { policy, switches, startedAt: clock.now(), spend });
 * if (verdict.outcome === 'veto') log.info({ veto_reason: verdict.reason });
 */
export function decide(candidate: Candidate, context: DecisionContext): Verdict {
  const { policy } = context;
  if (candidate.alreadySucceeded) return { outcome: 'skipped' };
  if (candidate.problem) return { outcome: 'fail', error: candidate.problem, escalate: escalates(policy, { kind: 'cannot_attempt' }) };

  const sla = slaReading(candidate, policy, context.startedAt);
  const veto = (reason: VetoReason, heldUntil?: Date): Verdict => ({
    outcome: 'veto',
    reason,
    escalate: escalates(policy, { kind: 'vetoed', reason }),
    sla,
    ...(heldUntil === undefined ? {} : { heldUntil }),
  });

  if (!switchesAllow(context.switches, policy.critical)) return veto(VetoReason.KILL_SWITCH_ACTIVE);
  if (sla !== null && (sla.elapsedMinutes === null || sla.elapsedMinutes > sla.slaMinutes)) {
    return veto(VetoReason.SLA_MISSED);
  }
  if (policy.minSignals !== null && !((candidate.signalCount ?? 0) >= policy.minSignals)) {
    return veto(VetoReason.INSUFFICIENT_SIGNAL);
  }
  if (policy.minConfidence !== null && !((candidate.confidence ?? Number.NaN) >= policy.minConfidence)) {
    return veto(VetoReason.LOW_CONFIDENCE);
  }
  if (policy.channel === 'email') {
    const email = candidate.email;
    if (email === null) throw new DecisionInputError(`${policy.jobType} candidate ${candidate.subjectKey} has no email facts`);
    if (email.optedOut || email.suppressed) return veto(VetoReason.USER_OPTED_OUT);
    const heldUntil = quietHoldUntil(policy, email, context.startedAt);
    if (heldUntil !== null) return veto(VetoReason.QUIET_HOURS, heldUntil);
    if (!frequencyCapsHold(policy, email)) return veto(VetoReason.FREQUENCY_CAP);
  }
  if (policy.channel === 'credit') {
    const credit = candidate.credit;
    if (credit === null) throw new DecisionInputError(`${policy.jobType} candidate ${candidate.subjectKey} has no credit facts`);
    if (!credit.hasPaymentAccount) return veto(VetoReason.NO_PAYMENT_ACCOUNT);
  }
  if (!withinBudget(candidate, context)) return veto(VetoReason.BUDGET_EXCEEDED);
  return { outcome: 'execute', sla };
}

/** Verdicts for a batch, the spend each candidate saw (recorded with its decision), and the spend after it. */
export interface BatchDecision {
  readonly verdicts: readonly Verdict[];
  readonly spendsBefore: readonly SpendSoFar[];
  readonly spend: SpendSoFar;
}

/**
 * Decides a batch in order, each candidate seeing the spend of those executed before it, so the spend guard
 * holds inside a batch as well as across batches (pass the returned spend to the next one).
 */
export function decideBatch(
  candidates: readonly Candidate[],
  context: Omit<DecisionContext, 'spend'>,
  spendBefore: SpendSoFar,
): BatchDecision {
  let spend = spendBefore;
  const spendsBefore: SpendSoFar[] = [];
  const verdicts = candidates.map((candidate) => {
    spendsBefore.push(spend);
    const verdict = decide(candidate, { ...context, spend });
    if (verdict.outcome === 'execute') {
      if (context.policy.channel === 'email') spend = { ...spend, emailsThisRun: spend.emailsThisRun + 1 };
      const amount = candidate.credit?.amountCents ?? 0;
      if (context.policy.channel === 'credit' && amount > 0) {
        spend = { ...spend, creditsTodayCents: spend.creditsTodayCents + amount };
      }
    }
    return verdict;
  });
  return { verdicts, spendsBefore, spend };
}
