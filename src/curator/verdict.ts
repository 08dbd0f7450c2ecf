/**
 * Why an action was held back, in the order the checks run (DESIGN.md section 3): the first failing check wins.
 */
export const VetoReason = {
  KILL_SWITCH_ACTIVE: 'KILL_SWITCH_ACTIVE',
  SLA_MISSED: 'SLA_MISSED',
  INSUFFICIENT_SIGNAL: 'INSUFFICIENT_SIGNAL',
  LOW_CONFIDENCE: 'LOW_CONFIDENCE',
  USER_OPTED_OUT: 'USER_OPTED_OUT',
  QUIET_HOURS: 'QUIET_HOURS',
  FREQUENCY_CAP: 'FREQUENCY_CAP',
  NO_PAYMENT_ACCOUNT: 'NO_PAYMENT_ACCOUNT',
  BUDGET_EXCEEDED: 'BUDGET_EXCEEDED',
} as const;
export type VetoReason = (typeof VetoReason)[keyof typeof VetoReason];

/**
 * Reasons that hold an action for later rather than judge it: left out of VetoRate and its alarms (a quiet night is
 * not a pipeline vetoing too much), still counted by reason everywhere else.
 */
export const holdReasons: readonly VetoReason[] = [VetoReason.QUIET_HOURS];

/** The veto reasons in check order. */
export const vetoReasonsInOrder: readonly VetoReason[] = Object.values(VetoReason);

/** How late a realtime signal was when the decision started; `elapsedMinutes` is null without a timestamp. */
export interface SlaReading {
  readonly elapsedMinutes: number | null;
  readonly slaMinutes: number;
}

/**
 * The decision on one candidate: already done for this period (skipped), go ahead (execute), held back for
 * exactly one reason (veto), or impossible to attempt (fail: no such user, an unreadable signal). `escalate`
 * marks what a human must act on (see escalation.ts).
 */
export type Verdict =
  | { readonly outcome: 'skipped' }
  | { readonly outcome: 'execute'; readonly sla: SlaReading | null }
  | {
      readonly outcome: 'veto';
      readonly reason: VetoReason;
      readonly escalate: boolean;
      readonly sla: SlaReading | null;
      /** QUIET_HOURS: when the family's window ends and the release may send it. */
      readonly heldUntil?: Date;
    }
  | { readonly outcome: 'fail'; readonly error: string; readonly escalate: boolean };


/** The status a decision is recorded with: a claim (`pending`) for an action to take, else final. */
export function recordedStatus(verdict: Exclude<Verdict, { outcome: 'skipped' }>): 'pending' | 'vetoed' | 'escalated' | 'failed' {
  switch (verdict.outcome) {
    case 'execute':
      return 'pending';
    case 'veto':
      return verdict.escalate ? 'escalated' : 'vetoed';
    case 'fail':
      return verdict.escalate ? 'escalated' : 'failed';
    default: {
      const unknown: never = verdict;
      throw new Error(`unknown verdict ${JSON.stringify(unknown)}`);
    }
  }
}
