import type { PipelinePolicy } from './policy.js';
import { VetoReason } from './verdict.js';

/** What kept an action from reaching the family. */
export type Setback =
  /** A check vetoed it. */
  | { readonly kind: 'vetoed'; readonly reason: VetoReason }
  /** The provider refused it or never answered, after every resend the pipeline allows. */
  | { readonly kind: 'not_sent' }
  /** It could not even be attempted: no such user, or a signal whose essential fields cannot be read. */
  | { readonly kind: 'cannot_attempt' };

/**
 * Whether a setback is handed to a human (recorded `escalated`, counted in CrisisEscalations, which pages): only
 * for a critical pipeline, and only when the alert can no longer reach the family on time by itself: it missed its
 * SLA, it could not be sent, or it could not be attempted. A switch ops turned off, an opt-out, a cap or weak
 * evidence is a decision someone made; it stays a veto, and a replay can take it up again. The one place an
 * escalation is decided: the SQL records what this answers (its re-check under lock only ever vetoes).
 *
 * @example
 * escalates(crisisPolicy, { kind: 'vetoed', reason: 'SLA_MISSED' }) // true
 */
export function escalates(policy: Pick<PipelinePolicy, 'critical'>, setback: Setback): boolean {
  if (!policy.critical) return false;
  switch (setback.kind) {
    case 'vetoed':
      return setback.reason === VetoReason.SLA_MISSED;
    case 'not_sent':
    case 'cannot_attempt':
      return true;
    default: {
      const unknown: never = setback;
      throw new Error(`unknown setback ${JSON.stringify(unknown)}`);
    }
  }
}

/** What a claimed action that did not go is recorded as: escalated for a critical one, else what the provider said. */
export function unsentStatus(policy: Pick<PipelinePolicy, 'critical'>, answer: 'failed' | 'unknown'): 'failed' | 'unknown' | 'escalated' {
  return escalates(policy, { kind: 'not_sent' }) ? 'escalated' : answer;
}
