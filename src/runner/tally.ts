import { holdReasons, type VetoReason } from '../curator/verdict.js';

/** What a job decided and did. */
export interface Tally {
  candidates: number;
  executed: number;
  skipped: number;
  /** Decided before and not this replay's to redo (vetoed for another reason, unknown outcome, ...). */
  unchanged: number;
  vetoed: Partial<Record<VetoReason, number>>;
  failed: number;
  unknown: number;
  escalated: number;
  emailsSent: number;
  emailsFailed: number;
  creditsIssued: number;
  creditsIssuedCents: number;
  creditsReversedCents: number;
}

export function emptyTally(): Tally {
  return {
    candidates: 0,
    executed: 0,
    skipped: 0,
    unchanged: 0,
    vetoed: {},
    failed: 0,
    unknown: 0,
    escalated: 0,
    emailsSent: 0,
    emailsFailed: 0,
    creditsIssued: 0,
    creditsIssuedCents: 0,
    creditsReversedCents: 0,
  };
}

export function vetoTotal(tally: Tally): number {
  return Object.values(tally.vetoed).reduce((sum, count) => sum + (count ?? 0), 0);
}

/** Adds `more` into `into`. */
export function addTally(into: Tally, more: Tally): Tally {
  into.candidates += more.candidates;
  into.executed += more.executed;
  into.skipped += more.skipped;
  into.unchanged += more.unchanged;
  into.failed += more.failed;
  into.unknown += more.unknown;
  into.escalated += more.escalated;
  into.emailsSent += more.emailsSent;
  into.emailsFailed += more.emailsFailed;
  into.creditsIssued += more.creditsIssued;
  into.creditsIssuedCents += more.creditsIssuedCents;
  into.creditsReversedCents += more.creditsReversedCents;
  for (const [reason, count] of Object.entries(more.vetoed) as Array<[VetoReason, number]>) {
    into.vetoed[reason] = (into.vetoed[reason] ?? 0) + count;
  }
  return into;
}

/** The counts a run row keeps. */
export function runCounts(tally: Tally) {
  return {
    candidates: tally.candidates,
    executed: tally.executed,
    skipped: tally.skipped,
    vetoed: vetoTotal(tally),
    held: holdReasons.reduce((sum, reason) => sum + (tally.vetoed[reason] ?? 0), 0),
    failed: tally.failed + tally.unknown,
    escalated: tally.escalated,
  };
}
