import { credits } from '../../pipelines/index.js';
import { storeFunctions } from '../../store/functions.js';
import type { CreditClaim, OutcomeRow } from '../../store/curator-store.js';
import type { ReferralCandidate } from '../../store/rows.js';
import type { CuratorDeps } from '../deps.js';
import { moveCredits, paymentOutcome } from '../effects/move-credits.js';
import { notSent } from '../effects/request-gate.js';
import type { ActResult } from '../effects/claim.js';
import type { PagePlan } from '../pages/page-plan.js';
import { baseCandidate, pageQuery, type PlanPeriod } from './email-plan.js';

/** Referral rewards: a Stripe credit to the referrer of every converted referral not yet rewarded. */
export function referralPlan(deps: CuratorDeps, period: PlanPeriod): PagePlan<ReferralCandidate> {
  const jobType = 'referral_rewards' as const;
  const amount = credits.referralRewardCents;
  return {
    jobType,
    load: (page) => deps.store.call(storeFunctions.referralCandidates, pageQuery(deps, jobType, period, page)),
    subjectOf: (row) => row.subject_key,
    periodOf: () => period.periodKey,
    userOf: (row) => row.user_id,
    existingOf: (row) => row.existing,
    candidateOf: (row) => ({
      ...baseCandidate(row.subject_key, row.existing?.status === 'succeeded'),
      // A credit already written and not failed is already counted in today's spend.
      credit: {
        hasPaymentAccount: row.stripe_customer_id !== null,
        amountCents: row.ledger !== null && row.ledger.status !== 'failed' ? 0 : amount,
      },
    }),
    recordOf: (row): { trigger_data: Record<string, unknown>; template_id: null; credit: CreditClaim } => ({
      trigger_data: { referral_id: row.subject_key },
      template_id: null,
      credit: {
        amount,
        source: 'referral',
        reference_key: row.subject_key,
        stripe_customer_id: row.stripe_customer_id,
        expires_at: new Date(deps.clock.now().getTime() + credits.validityDays * 86_400_000).toISOString(),
        description: 'Referral reward',
      },
    }),
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
                  amountCents: claim.ledger.amount,
                  description: 'Referral reward',
                  seenBefore: claim.ledger.existed === true,
                },
        })),
        'credit',
        gate,
      );
      return claims.map(({ row, claim }): ActResult => {
        if (moved.held) return notSent(claim, { referral_id: row.subject_key });
        const answer = claim.ledger ? moved.answers.get(claim.ledger.id) : undefined;
        const base: Pick<OutcomeRow, 'execution_id' | 'ledger_id' | 'referral_id'> = {
          execution_id: claim.executionId,
          ledger_id: claim.ledger?.id ?? null,
          referral_id: row.subject_key,
        };
        const outcome = { ...base, ...paymentOutcome(answer, 'pending', 'no ledger row was written for this credit', claim.ledger !== null) };
        return outcome.status === 'succeeded' ? { creditedCents: claim.ledger?.amount ?? 0, outcome } : { outcome };
      });
    },
  };
}
