import { decide } from '../curator/decide.js';
import { contextOf, decisionFactsSchema, inputsOf } from '../curator/decision-facts.js';
import type { PipelinePolicy } from '../curator/policy.js';
import { VetoReason } from '../curator/verdict.js';
import { uncappedEmailTypes, type JobType } from '../pipelines/index.js';
import type { ExecutionStatus } from '../store/rows.js';

/** One decision as it was recorded, read back for what-if. */
export interface RecordedDecision {
  readonly id: string;
  readonly jobType: JobType;
  readonly subjectKey: string;
  readonly periodKey: string;
  readonly userId: string;
  readonly startedAt: Date;
  readonly status: ExecutionStatus;
  readonly vetoReason: VetoReason | null;
  readonly confidence: number | null;
  readonly signalCount: number | null;
  readonly policyHash: string | null;
  /** Null for a decision recorded before the facts were kept. */
  readonly facts: unknown;
  readonly childId: string | null;
}

/** What a decision came to: the action taken, held back for a reason, or impossible to attempt. */
export type Decided = { readonly kind: 'executed' } | { readonly kind: 'vetoed'; readonly reason: VetoReason } | { readonly kind: 'failed' };

/** A decision made again under the proposed policy, or why it could not be. */
export type Redecided =
  | {
      readonly decision: RecordedDecision;
      readonly before: Decided;
      readonly after: Decided;
      /** Emails (1 or 0) and credit cents it counted for, as recorded and as proposed. */
      readonly emails: { readonly before: number; readonly after: number };
      readonly creditCents: { readonly before: number; readonly after: number };
    }
  | { readonly decision: RecordedDecision; readonly cannot: string };

/** How a recorded status reads as a decision (a failure after the claim was still a decision to act). */
export function decidedOf(decision: RecordedDecision, problem: boolean): Decided | null {
  switch (decision.status) {
    case 'pending':
    case 'succeeded':
    case 'unknown':
      return { kind: 'executed' };
    case 'failed':
      return problem ? { kind: 'failed' } : { kind: 'executed' };
    case 'vetoed':
    case 'escalated':
      return decision.vetoReason !== null ? { kind: 'vetoed', reason: decision.vetoReason } : { kind: 'failed' };
    case 'superseded':
      // Held for quiet hours until its period had passed: decided as a hold.
      return { kind: 'vetoed', reason: VetoReason.QUIET_HOURS };
    case 'skipped':
      return null;
    default: {
      const unknown: never = decision.status;
      throw new Error(`unknown execution status ${String(unknown)}`);
    }
  }
}

/** An email a re-made decision sent or held back that it did not before (+1) or the other way (-1). */
interface CountChange {
  readonly atMs: number;
  readonly emailType: string;
  readonly childId: string | null;
  readonly delta: number;
}

const uncapped = new Set<string>(uncappedEmailTypes);

/** The change to a count over (at - windowHours, at] that earlier re-made decisions of the family made. */
function shift(changes: readonly CountChange[], atMs: number, windowHours: number, keep: (change: CountChange) => boolean): number {
  const fromMs = atMs - windowHours * 3_600_000;
  let sum = 0;
  for (const change of changes) if (change.atMs > fromMs && change.atMs <= atMs && keep(change)) sum += change.delta;
  return sum;
}

/**
 * Makes one family's recorded decisions again, in the order they were made, under the policy `propose` turns each
 * recorded policy into, with the same {@link decide} the curator uses. What an earlier decision would have sent
 * differently moves the cap counts a later one read (its own type, per child for a child-scoped cap, and every
 * non-critical email in the non-critical windows), so a change carries forward through the family's week. The
 * spend a decision saw (this run's emails, today's credits) is taken as recorded: the run's other families are
 * another page's. A decision is named apart, not guessed, when its facts or policy were not kept, or when the
 * proposal changes the window of the counts it read.
 */
export function redecideFamily(
  decisions: readonly RecordedDecision[],
  policies: ReadonlyMap<string, PipelinePolicy>,
  propose: (policy: PipelinePolicy) => PipelinePolicy,
): Redecided[] {
  const changes: CountChange[] = [];
  return decisions.map((decision): Redecided => {
    if (decision.facts === null || decision.facts === undefined || decision.policyHash === null) {
      return { decision, cannot: 'recorded before decisions kept their facts' };
    }
    const recorded = policies.get(decision.policyHash);
    if (recorded === undefined) return { decision, cannot: 'its policy is not in decision_policies' };
    const parsed = decisionFactsSchema.safeParse(decision.facts);
    if (!parsed.success) return { decision, cannot: 'its recorded facts are unreadable' };
    const facts = parsed.data;
    const before = decidedOf(decision, facts.problem !== undefined);
    if (before === null) return { decision, cannot: 'skipped: another run took the action' };
    const policy = propose(recorded);
    if ((policy.typeCap?.windowHours ?? null) !== (recorded.typeCap?.windowHours ?? null)) {
      return { decision, cannot: 'the type cap window changes: the counts it read were for another window' };
    }

    const inputs = inputsOf(facts, { subjectKey: decision.subjectKey, confidence: decision.confidence, signalCount: decision.signalCount, startedAt: decision.startedAt }, recorded);
    const atMs = decision.startedAt.getTime();
    let candidate = inputs.candidate;
    if (candidate.email !== null && policy.emailType !== null) {
      const emailType = policy.emailType;
      const typeCap = policy.typeCap;
      const typeShift =
        typeCap === null
          ? 0
          : shift(changes, atMs, typeCap.windowHours, (change) => change.emailType === emailType && (typeCap.scope !== 'child' || change.childId === decision.childId));
      candidate = {
        ...candidate,
        email: {
          ...candidate.email,
          typeCount: candidate.email.typeCount + typeShift,
          nonCriticalCounts: policy.nonCriticalCaps.map(
            (cap, index) => (candidate.email!.nonCriticalCounts[index] ?? 0) + shift(changes, atMs, cap.windowHours, (change) => !uncapped.has(change.emailType)),
          ),
        },
      };
    }
    const verdict = decide(candidate, contextOf(inputs, policy));
    const after: Decided =
      verdict.outcome === 'execute' ? { kind: 'executed' } : verdict.outcome === 'veto' ? { kind: 'vetoed', reason: verdict.reason } : { kind: 'failed' };

    // An email counts while queued or sent; one that failed at the provider would fail again.
    const countedBefore = before.kind === 'executed' && decision.status !== 'failed' ? 1 : 0;
    const countedAfter = after.kind !== 'executed' ? 0 : before.kind === 'executed' ? countedBefore : 1;
    const isEmail = policy.channel === 'email';
    if (isEmail && countedAfter !== countedBefore && policy.emailType !== null) {
      changes.push({ atMs, emailType: policy.emailType, childId: decision.childId, delta: countedAfter - countedBefore });
    }
    const cents = Math.max(0, candidate.credit?.amountCents ?? 0);
    return {
      decision,
      before,
      after,
      emails: { before: isEmail ? countedBefore : 0, after: isEmail ? countedAfter : 0 },
      creditCents: { before: policy.channel === 'credit' ? countedBefore * cents : 0, after: policy.channel === 'credit' ? countedAfter * cents : 0 },
    };
  });
}
