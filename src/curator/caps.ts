import type { FrequencyCap } from '../pipelines/index.js';
import { DecisionInputError } from './errors.js';
import type { PipelinePolicy } from './policy.js';
import type { QuietWindow } from './quiet-hours.js';

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
  /** Where the family is (family_time_zones); absent or null when the app never said: no quiet hours. */
  readonly place?: FamilyPlace | null;
}

/** A family's IANA time zone, and its own quiet hours when it chose them (else the policy's apply). */
export interface FamilyPlace {
  readonly timeZone: string;
  readonly window: QuietWindow | null;
}

/** A cap holds while the actions already in its window are fewer than its max: then one more may go. */
export function capHolds(cap: FrequencyCap, countInWindow: number): boolean {
  return countInWindow < cap.max;
}

/**
 * The one place counts are compared with caps. A pipeline outside the family caps (a critical one, an
 * organisation's report) answers only to its own type cap.
 */
export function frequencyCapsHold(policy: PipelinePolicy, facts: EmailFacts): boolean {
  if (policy.typeCap !== null && !capHolds(policy.typeCap, facts.typeCount)) return false;
  if (!policy.familyCapped) return true;
  if (facts.nonCriticalCounts.length !== policy.nonCriticalCaps.length) {
    throw new DecisionInputError(
      `nonCriticalCounts has ${facts.nonCriticalCounts.length} windows but the policy has ${policy.nonCriticalCaps.length}`,
    );
  }
  return policy.nonCriticalCaps.every((cap, index) => capHolds(cap, facts.nonCriticalCounts[index]!));
}

/** How one cap stands for a family at a moment: its count in the window, and when it frees up if it is full. */
export interface CapStanding {
  readonly cap: string;
  readonly max: number;
  readonly windowHours: number;
  readonly count: number;
  /** While full: when the oldest email counted leaves the window and one more may go; null when it holds. */
  readonly freesAt: Date | null;
}

/**
 * Where a family stands against the caps of `policies` at `at`, from the emails that count (queued or sent; failed
 * ones do not), with the same window arithmetic as the decision ((at - window, at], {@link capHolds}): the
 * non-critical caps over every non-critical email, and each pipeline's own type cap over its type.
 */
export function capStandings(
  policies: readonly PipelinePolicy[],
  emails: ReadonlyArray<{ readonly emailType: string; readonly queuedAt: Date }>,
  at: Date,
): CapStanding[] {
  const standing = (cap: string, limit: FrequencyCap, counted: readonly Date[]): CapStanding => {
    const from = at.getTime() - limit.windowHours * 3_600_000;
    const inWindow = counted.filter((time) => time.getTime() > from && time.getTime() <= at.getTime()).sort((a, b) => a.getTime() - b.getTime());
    const full = !capHolds(limit, inWindow.length);
    // The cap holds again once all but max - 1 of the emails in the window have left it.
    const freeing = full ? inWindow[inWindow.length - limit.max] : undefined;
    return {
      cap,
      max: limit.max,
      windowHours: limit.windowHours,
      count: inWindow.length,
      freesAt: freeing === undefined ? null : new Date(freeing.getTime() + limit.windowHours * 3_600_000),
    };
  };
  const nonCritical = policies.find((policy) => policy.familyCapped);
  const uncapped = new Set(policies.filter((policy) => !policy.familyCapped).map((policy) => policy.emailType));
  const nonCriticalTimes = emails.filter((email) => !uncapped.has(email.emailType)).map((email) => email.queuedAt);
  return [
    ...(nonCritical?.nonCriticalCaps ?? []).map((limit) => standing(`all non-critical email, ${limit.max} per ${limit.windowHours} h`, limit, nonCriticalTimes)),
    ...policies.flatMap((policy) =>
      policy.typeCap === null || policy.emailType === null
        ? []
        : [
            standing(
              `${policy.emailType}, ${policy.typeCap.max} per ${policy.typeCap.windowHours} h${policy.typeCap.scope === 'child' ? ' per child (the family shown whole)' : ''}`,
              policy.typeCap,
              emails.filter((email) => email.emailType === policy.emailType).map((email) => email.queuedAt),
            ),
          ],
    ),
  ];
}
