import type { FrequencyCap } from '../pipelines/index.js';
import { DecisionInputError } from './errors.js';
import type { PipelinePolicy } from './policy.js';

/**
 * What the database says about a recipient (from `email_cap_facts`): preferences, suppression, and the emails
 * already queued or sent in each cap's window, the action itself excluded.
 */
export interface EmailFacts {
  readonly optedOut: boolean;
  /** No deliverable address: the address bounced, was reported as spam or unsubscribed. */
  readonly suppressed: boolean;
  /** Emails of this type in the type cap's window (per child for a child-scoped cap). */
  readonly typeCount: number;
  /** Non-critical emails in each window of `policy.nonCriticalCaps`, in the same order. */
  readonly nonCriticalCounts: readonly number[];
}

/** A cap holds while the actions already in its window are fewer than its max: then one more may go. */
export function capHolds(cap: FrequencyCap, countInWindow: number): boolean {
  return countInWindow < cap.max;
}

/**
 * The one place counts are compared with caps. A critical pipeline answers only to its own type cap.
 */
export function frequencyCapsHold(policy: PipelinePolicy, facts: EmailFacts): boolean {
  if (policy.typeCap !== null && !capHolds(policy.typeCap, facts.typeCount)) return false;
  if (policy.critical) return true;
  if (facts.nonCriticalCounts.length !== policy.nonCriticalCaps.length) {
    throw new DecisionInputError(
      `nonCriticalCounts has ${facts.nonCriticalCounts.length} windows but the policy has ${policy.nonCriticalCaps.length}`,
    );
  }
  return policy.nonCriticalCaps.every((cap, index) => capHolds(cap, facts.nonCriticalCounts[index]!));
}
