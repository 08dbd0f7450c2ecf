import type { EmailFacts } from '../curator/caps.js';
import type { Candidate } from '../curator/decide.js';
import { emailPolicyJson, type PipelinePolicy } from '../curator/policy.js';
import { credits, pipelineOf, type JobType } from '../pipelines/index.js';
import type { CreditClaim, EmailPageQuery, OutcomeRow } from '../store/curator-store.js';
import type { EmailFactsRow, ExpiringCredit, OrgAdminCandidate, ReferralCandidate, UserCandidate } from '../store/rows.js';
import { moveCredits, sendEmails } from './actions.js';
import type { CuratorDeps } from './deps.js';
import type { ActResult, Claim, PagePlan, PageRequest } from './page.js';

/** The period a plan decides for, and the window its signal is counted over. */
export interface PlanPeriod {
  readonly periodKey: string;
  readonly windowStart: Date;
  readonly windowEnd: Date;
}

export function emailFacts(row: EmailFactsRow): EmailFacts {
  return {
    optedOut: row.opted_out,
    suppressed: row.suppressed,
    typeCount: row.type_count,
    nonCriticalCounts: row.non_critical_counts,
  };
}

export function templateOf(deps: CuratorDeps, emailType: string): string {
  return deps.config.templates[emailType] ?? emailType;
}

/** The query of one page of an email plan: its period's window, and facts counted under `policy`. */
function emailPageQuery(deps: CuratorDeps, jobType: JobType, emailType: string, period: PlanPeriod, page: PageRequest, policy: PipelinePolicy): EmailPageQuery {
  return {
    jobType,
    emailType,
    periodKey: period.periodKey,
    windowStart: period.windowStart,
    windowEnd: period.windowEnd,
    after: page.after,
    limit: page.limit,
    subjects: page.subjects,
    through: page.through,
    policy: emailPolicyJson(policy),
    at: deps.clock.now(),
  };
}

/** Sends each claimed row its email of `emailType`, with the template data `dataOf` makes for it. */
function emailEach<Row extends { user_id: string; email: string }>(
  deps: CuratorDeps,
  emailType: string,
  claims: ReadonlyArray<{ row: Row; claim: Claim }>,
  critical: boolean,
  dataOf: (row: Row) => Record<string, unknown>,
): Promise<ActResult[]> {
  const templateId = templateOf(deps, emailType);
  return sendEmails(
    deps,
    claims.map(({ row, claim }) => ({
      claim,
      email: { executionId: claim.executionId, userId: row.user_id, to: row.email, emailType, templateId, templateData: dataOf(row) },
    })),
    critical,
  );
}

const baseCandidate = (subjectKey: string, alreadySucceeded: boolean): Candidate => ({
  subjectKey,
  alreadySucceeded,
  signalCount: null,
  confidence: null,
  eventTimestamp: null,
  email: null,
  credit: null,
});

/** Daily digest and weekly insights: one email per active user with enough signal in the period's window. */
export function userEmailPlan(deps: CuratorDeps, jobType: JobType, period: PlanPeriod): PagePlan<UserCandidate> {
  const pipeline = pipelineOf(jobType);
  const emailType = pipeline.emailType!;
  return {
    jobType,
    load: (page, policy) => deps.store.userCandidates(emailPageQuery(deps, jobType, emailType, period, page, policy)),
    shardBounds: (shardSize) => deps.store.userShardBounds(shardSize),
    subjectOf: (row) => row.subject_key,
    periodOf: () => period.periodKey,
    userOf: (row) => row.user_id,
    existingOf: (row) => row.existing,
    candidateOf: (row) => ({
      ...baseCandidate(row.subject_key, row.existing?.status === 'succeeded'),
      signalCount: row.signal_count,
      confidence: row.confidence,
      email: emailFacts(row.facts),
    }),
    recordOf: () => ({
      trigger_data: { window_start: period.windowStart.toISOString(), window_end: period.windowEnd.toISOString() },
      template_id: templateOf(deps, emailType),
      credit: null,
    }),
    act: (claims, policy) =>
      emailEach(deps, emailType, claims, policy.critical, (row) => ({
        first_name: row.first_name,
        period_key: period.periodKey,
        stories_read: row.signal_count,
        top_story_title: row.top_story_title,
      })),
  };
}

/** Organisation health report: one email per admin of every organisation, about the month before. */
export function orgHealthPlan(deps: CuratorDeps, period: PlanPeriod): PagePlan<OrgAdminCandidate> {
  const jobType = 'org_health_report' as const;
  const emailType = pipelineOf(jobType).emailType!;
  return {
    jobType,
    load: (page, policy) => deps.store.orgAdminCandidates(emailPageQuery(deps, jobType, emailType, period, page, policy)),
    subjectOf: (row) => row.subject_key,
    periodOf: () => period.periodKey,
    userOf: (row) => row.user_id,
    existingOf: (row) => row.existing,
    candidateOf: (row) => ({
      ...baseCandidate(row.subject_key, row.existing?.status === 'succeeded'),
      email: emailFacts(row.facts),
    }),
    recordOf: (row) => ({
      trigger_data: { organization_id: row.organization_id, window_start: period.windowStart.toISOString() },
      template_id: templateOf(deps, emailType),
      credit: null,
    }),
    act: (claims, policy) =>
      emailEach(deps, emailType, claims, policy.critical, (row) => ({
        first_name: row.first_name,
        organization_name: row.organization_name,
        period_key: period.periodKey,
        members: row.members,
        active_members: row.active_members,
        reading_events: row.reading_events,
      })),
  };
}

/** Referral rewards: a Stripe credit to the referrer of every converted referral not yet rewarded. */
export function referralPlan(deps: CuratorDeps, period: PlanPeriod): PagePlan<ReferralCandidate> {
  const jobType = 'referral_rewards' as const;
  const amount = credits.referralRewardCents;
  return {
    jobType,
    load: (page) =>
      deps.store.referralCandidates({
        jobType,
        periodKey: period.periodKey,
        after: page.after,
        limit: page.limit,
        subjects: page.subjects,
        at: deps.clock.now(),
      }),
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
    async act(claims): Promise<ActResult[]> {
      const answers = await moveCredits(
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
      );
      return claims.map(({ row, claim }): ActResult => {
        const answer = claim.ledger ? answers.get(claim.ledger.id) : undefined;
        const base: Pick<OutcomeRow, 'execution_id' | 'ledger_id' | 'referral_id'> = {
          execution_id: claim.executionId,
          ledger_id: claim.ledger?.id ?? null,
          referral_id: row.subject_key,
        };
        if (answer?.status === 'succeeded') {
          return {
            creditedCents: claim.ledger?.amount ?? 0,
            outcome: { ...base, status: 'succeeded', error: null, ledger_status: 'pending', stripe_balance_transaction_id: answer.transactionId },
          };
        }
        const error = answer?.status === 'failed' ? answer.error : 'no ledger row was written for this credit';
        return { outcome: { ...base, status: 'failed', error, ledger_status: claim.ledger ? 'failed' : null } };
      });
    },
  };
}

/**
 * Expire credits: reverses in Stripe the smaller of an expired, unapplied credit and what the customer still
 * holds (credits of one customer in a page share the balance), then marks the credit expired.
 */
export function expiryPlan(deps: CuratorDeps, period: PlanPeriod): PagePlan<ExpiringCredit> {
  const jobType = 'expire_credits' as const;
  const reversible = new Map<string, number>();
  return {
    jobType,
    load: (page) =>
      deps.store.expiringCredits({
        jobType,
        periodKey: period.periodKey,
        after: page.after,
        limit: page.limit,
        subjects: page.subjects,
        at: deps.clock.now(),
      }),
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
    async act(claims): Promise<ActResult[]> {
      const answers = await moveCredits(
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
      );
      return claims.map(({ row, claim }): ActResult => {
        const base = { execution_id: claim.executionId, expired_ledger_id: row.subject_key, ledger_id: claim.ledger?.id ?? null };
        if (claim.ledger === null) {
          // Nothing left to take back: the credit is simply expired.
          return { outcome: { ...base, status: 'succeeded', error: null } };
        }
        const answer = answers.get(claim.ledger.id);
        if (answer?.status === 'succeeded') {
          return {
            reversedCents: -claim.ledger.amount,
            outcome: { ...base, status: 'succeeded', error: null, ledger_status: 'applied', stripe_balance_transaction_id: answer.transactionId },
          };
        }
        return {
          outcome: { ...base, status: 'failed', error: answer?.status === 'failed' ? answer.error : 'no answer', ledger_status: 'failed' },
        };
      });
    },
  };
}
