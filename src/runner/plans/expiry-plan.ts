import type { ExpiringCredit } from '../../store/rows.js';
import { storeFunctions } from '../../store/functions.js';
import type { CuratorDeps } from '../deps.js';
import { moveCredits, paymentOutcome } from '../effects/move-credits.js';
import { notSent } from '../effects/request-gate.js';
import type { ActResult } from '../effects/claim.js';
import type { PagePlan } from '../pages/page-plan.js';
import { baseCandidate, pageQuery, type PlanPeriod } from './email-plan.js';

/**
 * Expire credits: reverses in Stripe the smaller of an expired, unapplied credit and what the customer still
 * holds (credits of one customer in a page share the balance), then marks the credit expired.
 */
export function expiryPlan(deps: CuratorDeps, period: PlanPeriod): PagePlan<ExpiringCredit> {
  const jobType = 'expire_credits' as const;
  const reversible = new Map<string, number>();
  return {
    jobType,
    load: (page) => deps.store.call(storeFunctions.expiringCreditCandidates, pageQuery(deps, jobType, period, page)),
    subjectOf: (row) => row.subject_key,
    periodOf: () => period.periodKey,
    userOf: (row) => row.user_id,
    existingOf: (row) => row.existing,
    async prepare(rows) {
      const customers = [...new Set(rows.flatMap((row) => (row.stripe_customer_id ? [row.stripe_customer_id] : [])))];
      const balances = customers.length > 0 ? await deps.payments.creditBalances(customers) : new Map<string, number>();
      for (const row of rows) {
        if (row.ledger !== null) {
          // A reversal already written for this credit keeps its amount (and its idempotency key).
          reversible.set(row.subject_key, -row.ledger.amount);
          continue;
        }
        const left = row.stripe_customer_id ? (balances.get(row.stripe_customer_id) ?? 0) : 0;
        const take = Math.max(0, Math.min(row.amount, left));
        reversible.set(row.subject_key, take);
        if (row.stripe_customer_id) balances.set(row.stripe_customer_id, left - take);
      }
    },
    candidateOf: (row) => ({
      ...baseCandidate(row.subject_key, row.existing?.status === 'succeeded'),
      credit: { hasPaymentAccount: row.stripe_customer_id !== null, amountCents: -(reversible.get(row.subject_key) ?? 0) },
    }),
    recordOf: (row) => {
      const take = reversible.get(row.subject_key) ?? 0;
      return {
        trigger_data: { expired_ledger_id: row.subject_key, expired_amount: row.amount, reversed_amount: take },
        template_id: null,
        credit:
          take > 0
            ? {
                amount: -take,
                source: 'expiry',
                reference_key: row.subject_key,
                stripe_customer_id: row.stripe_customer_id,
                expires_at: null,
                description: 'Expired referral credit',
              }
            : null,
      };
    },
    async act(claims, _policy, gate): Promise<ActResult[]> {
      const moved = await moveCredits(
        deps,
        claims.map(({ row, claim }) => ({
          claim,
          movement:
            claim.ledger === null || row.stripe_customer_id === null
              ? null
              : {
                  ledgerId: claim.ledger.id,
                  customerId: row.stripe_customer_id,
                  amountCents: -claim.ledger.amount,
                  description: 'Expired credit',
                  seenBefore: claim.ledger.existed === true,
                },
        })),
        'reverse',
        gate,
      );
      return claims.map(({ row, claim }): ActResult => {
        const base = { execution_id: claim.executionId, expired_ledger_id: row.subject_key, ledger_id: claim.ledger?.id ?? null };
        if (claim.ledger === null) {
          // Nothing left to take back: the credit is simply expired.
          return { outcome: { ...base, status: 'succeeded', error: null } };
        }
        if (moved.held) return notSent(claim);
        const answer = moved.answers.get(claim.ledger.id);
        const outcome = { ...base, ...paymentOutcome(answer, 'applied', 'no answer') };
        return outcome.status === 'succeeded' ? { reversedCents: -claim.ledger.amount, outcome } : { outcome };
      });
    },
  };
}
