import type { Candidate, DecisionContext, PipelinePolicy, SpendSoFar } from '../../src/curator/index.js';
import { resolvePolicy } from '../../src/curator/index.js';
import type { JobType } from '../../src/pipelines/index.js';

export const startedAt = new Date('2026-11-23T20:00:00.000Z');

export function policyOf(jobType: JobType): PipelinePolicy {
  return resolvePolicy(jobType).policy;
}

/** A candidate that passes every check of its pipeline; tests break one fact at a time. */
export function passingCandidate(policy: PipelinePolicy, overrides: Partial<Candidate> = {}): Candidate {
  return {
    subjectKey: 'user-1',
    alreadySucceeded: false,
    signalCount: policy.minSignals ?? null,
    confidence: policy.minConfidence ?? null,
    eventTimestamp: policy.slaMinutes === null ? null : new Date(startedAt.getTime() - 60_000),
    email:
      policy.channel === 'email'
        ? { optedOut: false, suppressed: false, typeCount: 0, nonCriticalCounts: policy.nonCriticalCaps.map(() => 0) }
        : null,
    credit: policy.channel === 'credit' ? { hasPaymentAccount: true, amountCents: 1_000 } : null,
    ...overrides,
  };
}

export const noSpend: SpendSoFar = { emailsThisRun: 0, creditsTodayCents: 0 };

export function contextFor(policy: PipelinePolicy, overrides: Partial<DecisionContext> = {}): DecisionContext {
  return {
    policy,
    switches: { global: 'on', pipeline: 'on' },
    startedAt,
    spend: noSpend,
    ...overrides,
  };
}

export function minutesBefore(minutes: number, seconds = 0): Date {
  return new Date(startedAt.getTime() - minutes * 60_000 - seconds * 1_000);
}
