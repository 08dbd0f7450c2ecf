import { describe, expect, it } from 'vitest';
import { decide, decideBatch, VetoReason, vetoReasonsInOrder, type Candidate } from '../../src/curator/index.js';
import { jobTypes } from '../../src/pipelines/index.js';
import {
  contextFor,
  minutesBefore,
  noSpend,
  passingCandidate,
  policyOf,
} from '../support/decision-fixtures.js';

const crisis = policyOf('crisis_alert');
const early = policyOf('early_intervention');
const digest = policyOf('daily_digest');
const referral = policyOf('referral_rewards');

describe('decide', () => {
  it.each(jobTypes)('executes a %s candidate that passes every check', (jobType) => {
    const policy = policyOf(jobType);
    expect(decide(passingCandidate(policy), contextFor(policy)).outcome).toBe('execute');
  });

  it('skips an action that already succeeded for its period, before any check', () => {
    const verdict = decide(
      passingCandidate(digest, { alreadySucceeded: true, confidence: 0 }),
      contextFor(digest, { switches: { global: 'off', pipeline: 'off' } }),
    );
    expect(verdict).toEqual({ outcome: 'skipped' });
  });

  describe('kill switches', () => {
    it('vetoes when the pipeline switch is off', () => {
      const verdict = decide(passingCandidate(digest), contextFor(digest, { switches: { global: 'on', pipeline: 'off' } }));
      expect(verdict).toMatchObject({ outcome: 'veto', reason: VetoReason.KILL_SWITCH_ACTIVE, escalate: false });
    });

    it('vetoes every pipeline, crisis alerts included, when the global switch is off', () => {
      for (const jobType of jobTypes) {
        const policy = policyOf(jobType);
        const verdict = decide(passingCandidate(policy), contextFor(policy, { switches: { global: 'off', pipeline: 'on' } }));
        expect(verdict, jobType).toMatchObject({ reason: VetoReason.KILL_SWITCH_ACTIVE });
      }
    });

    it('vetoes email and credit when a switch was never read, but lets a crisis alert through', () => {
      const unknown = { switches: { global: 'unknown', pipeline: 'on' } } as const;
      expect(decide(passingCandidate(digest), contextFor(digest, unknown))).toMatchObject({
        reason: VetoReason.KILL_SWITCH_ACTIVE,
      });
      expect(decide(passingCandidate(referral), contextFor(referral, unknown))).toMatchObject({
        reason: VetoReason.KILL_SWITCH_ACTIVE,
      });
      expect(decide(passingCandidate(crisis), contextFor(crisis, unknown)).outcome).toBe('execute');
    });
  });

  describe('emotional SLA', () => {
    it('executes a crisis alert detected exactly 5 minutes ago', () => {
      const verdict = decide(passingCandidate(crisis, { eventTimestamp: minutesBefore(5) }), contextFor(crisis));
      expect(verdict).toEqual({ outcome: 'execute', sla: { elapsedMinutes: 5, slaMinutes: 5 } });
    });

    it('vetoes and escalates a crisis alert detected 5 min 1 s ago', () => {
      const verdict = decide(passingCandidate(crisis, { eventTimestamp: minutesBefore(5, 1) }), contextFor(crisis));
      expect(verdict).toMatchObject({ outcome: 'veto', reason: VetoReason.SLA_MISSED, escalate: true });
      expect(verdict.outcome === 'veto' && verdict.sla?.elapsedMinutes).toBeCloseTo(5 + 1 / 60, 6);
    });

    it('counts an event timestamp in the future as now', () => {
      const future = new Date(minutesBefore(0).getTime() + 10 * 60_000);
      const verdict = decide(passingCandidate(crisis, { eventTimestamp: future }), contextFor(crisis));
      expect(verdict).toEqual({ outcome: 'execute', sla: { elapsedMinutes: 0, slaMinutes: 5 } });
    });

    it('vetoes a realtime signal without a usable timestamp as late, since it cannot be shown on time', () => {
      expect(decide(passingCandidate(crisis, { eventTimestamp: null }), contextFor(crisis))).toMatchObject({
        reason: VetoReason.SLA_MISSED,
        escalate: true,
      });
      expect(decide(passingCandidate(crisis, { eventTimestamp: new Date('nonsense') }), contextFor(crisis))).toMatchObject({
        reason: VetoReason.SLA_MISSED,
      });
    });

    it('vetoes a late non-critical signal without escalating it', () => {
      const verdict = decide(passingCandidate(early, { eventTimestamp: minutesBefore(60, 1) }), contextFor(early));
      expect(verdict).toMatchObject({ reason: VetoReason.SLA_MISSED, escalate: false });
      expect(decide(passingCandidate(early, { eventTimestamp: minutesBefore(60) }), contextFor(early)).outcome).toBe('execute');
    });

    it('has no SLA for scheduled pipelines', () => {
      expect(decide(passingCandidate(digest), contextFor(digest))).toEqual({ outcome: 'execute', sla: null });
    });
  });

  describe('signal and confidence', () => {
    it('vetoes early intervention with 2 of 3 signals, executes with 3', () => {
      expect(decide(passingCandidate(early, { signalCount: 2 }), contextFor(early))).toMatchObject({
        reason: VetoReason.INSUFFICIENT_SIGNAL,
      });
      expect(decide(passingCandidate(early, { signalCount: 3 }), contextFor(early)).outcome).toBe('execute');
    });

    it('treats a missing signal count as none', () => {
      expect(decide(passingCandidate(digest, { signalCount: null }), contextFor(digest))).toMatchObject({
        reason: VetoReason.INSUFFICIENT_SIGNAL,
      });
    });

    it('executes a crisis alert at exactly 0.95 confidence and vetoes one at 0.9499', () => {
      expect(decide(passingCandidate(crisis, { confidence: 0.95 }), contextFor(crisis)).outcome).toBe('execute');
      expect(decide(passingCandidate(crisis, { confidence: 0.9499 }), contextFor(crisis))).toMatchObject({
        reason: VetoReason.LOW_CONFIDENCE,
        escalate: false,
      });
    });

    it('treats a missing or non-numeric confidence as too low', () => {
      expect(decide(passingCandidate(digest, { confidence: null }), contextFor(digest))).toMatchObject({
        reason: VetoReason.LOW_CONFIDENCE,
      });
      expect(decide(passingCandidate(digest, { confidence: Number.NaN }), contextFor(digest))).toMatchObject({
        reason: VetoReason.LOW_CONFIDENCE,
      });
    });

    it('does not ask an org health report for signal or confidence', () => {
      const org = policyOf('org_health_report');
      const verdict = decide(passingCandidate(org, { signalCount: null, confidence: null }), contextFor(org));
      expect(verdict.outcome).toBe('execute');
    });
  });

  describe('preferences and suppression', () => {
    it('vetoes a user who opted out of the email type', () => {
      const email = { optedOut: true, suppressed: false, typeCount: 0, nonCriticalCounts: [0, 0] };
      expect(decide(passingCandidate(digest, { email }), contextFor(digest))).toMatchObject({
        reason: VetoReason.USER_OPTED_OUT,
      });
    });

    it('vetoes a suppressed address, crisis alerts included', () => {
      const email = { optedOut: false, suppressed: true, typeCount: 0, nonCriticalCounts: [0, 0] };
      expect(decide(passingCandidate(crisis, { email }), contextFor(crisis))).toMatchObject({
        reason: VetoReason.USER_OPTED_OUT,
        escalate: false,
      });
    });
  });

  describe('quiet hours', () => {
    // startedAt is 20:00 UTC: 01:30 in Mumbai, 15:00 in New York.
    const mumbai = { timeZone: 'Asia/Kolkata', window: null };
    const placed = (policy: typeof digest, place: { timeZone: string; window: { start: number; end: number } | null } | null, email: Partial<Candidate['email'] & object> = {}) =>
      passingCandidate(policy, { email: { optedOut: false, suppressed: false, typeCount: 0, nonCriticalCounts: policy.nonCriticalCaps.map(() => 0), place, ...email } });

    it('holds a digest inside the family\'s night with the time its window ends, and sends it outside', () => {
      expect(decide(placed(digest, mumbai), contextFor(digest))).toEqual({
        outcome: 'veto',
        reason: VetoReason.QUIET_HOURS,
        escalate: false,
        sla: null,
        heldUntil: new Date('2026-11-24T02:30:00.000Z'),
      });
      expect(decide(placed(digest, { timeZone: 'America/New_York', window: null }), contextFor(digest)).outcome).toBe('execute');
      // The family's own window wins over the policy's: awake until 02:00.
      expect(decide(placed(digest, { timeZone: 'Asia/Kolkata', window: { start: 2 * 60, end: 9 * 60 } }), contextFor(digest)).outcome).toBe('execute');
      // An environment whose window is none holds nothing.
      expect(decide(placed(digest, mumbai), contextFor({ ...digest, quietHours: { start: 0, end: 0 } })).outcome).toBe('execute');
    });

    it('never holds a critical or SLA-bound email, a family never placed, or one whose zone this runtime does not know', () => {
      for (const jobType of ['crisis_alert', 'early_intervention', 'story_failure', 'asset_timeout'] as const) {
        const policy = policyOf(jobType);
        expect(policy.quietHours, jobType).toBeNull();
        expect(decide(placed(policy, mumbai), contextFor(policy)).outcome, jobType).toBe('execute');
      }
      for (const jobType of ['daily_digest', 'weekly_insights', 'org_health_report'] as const) expect(policyOf(jobType).quietHours, jobType).toEqual({ start: 21 * 60, end: 8 * 60 });
      expect(decide(placed(digest, null), contextFor(digest)).outcome).toBe('execute');
      expect(decide(placed(digest, { timeZone: 'Mars/Olympus', window: null }), contextFor(digest)).outcome).toBe('execute');
    });

    it('comes after an opt-out and before the caps', () => {
      expect(decide(placed(digest, mumbai, { optedOut: true }), contextFor(digest))).toMatchObject({ reason: VetoReason.USER_OPTED_OUT });
      expect(decide(placed(digest, mumbai, { nonCriticalCounts: [5, 20] }), contextFor(digest))).toMatchObject({ reason: VetoReason.QUIET_HOURS });
    });
  });

  describe('frequency caps', () => {
    const withCounts = (typeCount: number, day: number, week: number): Candidate['email'] => ({
      optedOut: false,
      suppressed: false,
      typeCount,
      nonCriticalCounts: [day, week],
    });

    it('lets a second non-critical email through in 24 h and holds the third', () => {
      expect(decide(passingCandidate(digest, { email: withCounts(0, 1, 1) }), contextFor(digest)).outcome).toBe('execute');
      expect(decide(passingCandidate(digest, { email: withCounts(0, 2, 2) }), contextFor(digest))).toMatchObject({
        reason: VetoReason.FREQUENCY_CAP,
      });
    });

    it('holds the eleventh non-critical email in 7 days', () => {
      expect(decide(passingCandidate(digest, { email: withCounts(0, 0, 9) }), contextFor(digest)).outcome).toBe('execute');
      expect(decide(passingCandidate(digest, { email: withCounts(0, 0, 10) }), contextFor(digest))).toMatchObject({
        reason: VetoReason.FREQUENCY_CAP,
      });
    });

    it('holds a second early intervention in 72 h', () => {
      expect(decide(passingCandidate(early, { email: withCounts(1, 0, 0) }), contextFor(early))).toMatchObject({
        reason: VetoReason.FREQUENCY_CAP,
      });
    });

    it('lets a crisis alert bypass every non-critical cap', () => {
      const verdict = decide(passingCandidate(crisis, { email: withCounts(0, 50, 500) }), contextFor(crisis));
      expect(verdict.outcome).toBe('execute');
    });

    it('still holds a second crisis alert for the same child within the hour', () => {
      expect(decide(passingCandidate(crisis, { email: withCounts(1, 0, 0) }), contextFor(crisis))).toMatchObject({
        reason: VetoReason.FREQUENCY_CAP,
        escalate: false,
      });
    });
  });

  describe('payment account', () => {
    it('vetoes a credit for a user without a Stripe customer', () => {
      const credit = { hasPaymentAccount: false, amountCents: 1_000 };
      expect(decide(passingCandidate(referral, { credit }), contextFor(referral))).toMatchObject({
        reason: VetoReason.NO_PAYMENT_ACCOUNT,
      });
    });
  });

  describe('spend guard', () => {
    it('vetoes a credit that would pass the daily ceiling, and allows one that reaches it exactly', () => {
      const ceiling = referral.ceilings.dailyCreditCents;
      const spend = { emailsThisRun: 0, creditsTodayCents: ceiling - 1_000 };
      expect(decide(passingCandidate(referral), contextFor(referral, { spend })).outcome).toBe('execute');
      const over = { emailsThisRun: 0, creditsTodayCents: ceiling - 999 };
      expect(decide(passingCandidate(referral), contextFor(referral, { spend: over }))).toMatchObject({
        reason: VetoReason.BUDGET_EXCEEDED,
      });
    });

    it('never holds back an expiry reversal for budget', () => {
      const expire = policyOf('expire_credits');
      const spend = { emailsThisRun: 0, creditsTodayCents: expire.ceilings.dailyCreditCents * 10 };
      const candidate = passingCandidate(expire, { credit: { hasPaymentAccount: true, amountCents: -500 } });
      expect(decide(candidate, contextFor(expire, { spend })).outcome).toBe('execute');
    });

    it('vetoes the email past the per-run ceiling', () => {
      const spend = { emailsThisRun: digest.ceilings.emailsPerRun, creditsTodayCents: 0 };
      expect(decide(passingCandidate(digest), contextFor(digest, { spend }))).toMatchObject({
        reason: VetoReason.BUDGET_EXCEEDED,
      });
    });

    it('lets a shard spend only its share of the per-run ceiling, rounded down', () => {
      const share = 1 / 3;
      const shardCeiling = Math.floor(digest.ceilings.emailsPerRun * share);
      const last = { emailsThisRun: shardCeiling - 1, creditsTodayCents: 0, emailCeilingShare: share };
      expect(decide(passingCandidate(digest), contextFor(digest, { spend: last })).outcome).toBe('execute');
      const over = { ...last, emailsThisRun: shardCeiling };
      expect(decide(passingCandidate(digest), contextFor(digest, { spend: over }))).toMatchObject({
        reason: VetoReason.BUDGET_EXCEEDED,
      });
    });
  });

  describe('order of the checks', () => {
    // Break every check the pipeline has, then mend them one at a time in DESIGN.md order: each time the veto
    // must name the first check still broken.
    const capped = { optedOut: false, suppressed: false, typeCount: 5, nonCriticalCounts: [9, 99] };
    const everythingBroken: Partial<Candidate> = {
      eventTimestamp: minutesBefore(61),
      signalCount: 0,
      confidence: 0.1,
      email: { ...capped, optedOut: true, suppressed: true },
    };
    const mends: Array<Partial<Candidate>> = [
      { eventTimestamp: minutesBefore(1) },
      { signalCount: 3 },
      { confidence: 0.8 },
      { email: capped },
      { email: { ...capped, typeCount: 0, nonCriticalCounts: [0, 0] } },
    ];

    it('names the first broken check of an email pipeline, in the documented order', () => {
      const spend = { emailsThisRun: early.ceilings.emailsPerRun, creditsTodayCents: 0 };
      const off = contextFor(early, { switches: { global: 'off', pipeline: 'off' }, spend });
      const seen = [decide(passingCandidate(early, everythingBroken), off)];
      for (let mended = 0; mended <= mends.length; mended += 1) {
        const facts = Object.assign({}, everythingBroken, ...mends.slice(0, mended));
        seen.push(decide(passingCandidate(early, facts), contextFor(early, { spend })));
      }
      expect(seen.map((verdict) => (verdict.outcome === 'veto' ? verdict.reason : verdict.outcome))).toEqual([
        VetoReason.KILL_SWITCH_ACTIVE,
        VetoReason.SLA_MISSED,
        VetoReason.INSUFFICIENT_SIGNAL,
        VetoReason.LOW_CONFIDENCE,
        VetoReason.USER_OPTED_OUT,
        VetoReason.FREQUENCY_CAP,
        VetoReason.BUDGET_EXCEEDED,
      ]);
    });

    it('names the first broken check of a credit pipeline, in the documented order', () => {
      const noAccount = { credit: { hasPaymentAccount: false, amountCents: 1_000 } };
      const spend = { emailsThisRun: 0, creditsTodayCents: referral.ceilings.dailyCreditCents };
      const off = { global: 'on', pipeline: 'off' } as const;
      expect(decide(passingCandidate(referral, noAccount), contextFor(referral, { switches: off, spend }))).toMatchObject({
        reason: VetoReason.KILL_SWITCH_ACTIVE,
      });
      expect(decide(passingCandidate(referral, noAccount), contextFor(referral, { spend }))).toMatchObject({
        reason: VetoReason.NO_PAYMENT_ACCOUNT,
      });
      expect(decide(passingCandidate(referral), contextFor(referral, { spend }))).toMatchObject({
        reason: VetoReason.BUDGET_EXCEEDED,
      });
    });

    it('lists the reasons in the order of DESIGN.md section 3', () => {
      expect(vetoReasonsInOrder).toEqual([
        'KILL_SWITCH_ACTIVE',
        'SLA_MISSED',
        'INSUFFICIENT_SIGNAL',
        'LOW_CONFIDENCE',
        'USER_OPTED_OUT',
        'QUIET_HOURS',
        'FREQUENCY_CAP',
        'NO_PAYMENT_ACCOUNT',
        'BUDGET_EXCEEDED',
      ]);
    });
  });

  it('refuses an email candidate without email facts rather than guessing', () => {
    expect(() => decide(passingCandidate(digest, { email: null }), contextFor(digest))).toThrow(/no email facts/);
  });
});

describe('decideBatch', () => {
  it('stops crediting at the daily ceiling within one batch and carries the spend to the next', () => {
    const ceiling = referral.ceilings.dailyCreditCents;
    const perCredit = 1_000;
    const candidates = Array.from({ length: ceiling / perCredit + 3 }, (_, i) =>
      passingCandidate(referral, { subjectKey: `referral-${i}`, credit: { hasPaymentAccount: true, amountCents: perCredit } }),
    );
    const { verdicts, spend } = decideBatch(candidates, contextFor(referral), noSpend);
    expect(verdicts.filter((verdict) => verdict.outcome === 'execute')).toHaveLength(ceiling / perCredit);
    expect(verdicts.slice(-3).map((verdict) => verdict.outcome === 'veto' && verdict.reason)).toEqual([
      'BUDGET_EXCEEDED',
      'BUDGET_EXCEEDED',
      'BUDGET_EXCEEDED',
    ]);
    expect(spend.creditsTodayCents).toBe(ceiling);

    const next = decideBatch([passingCandidate(referral)], contextFor(referral), spend);
    expect(next.verdicts[0]).toMatchObject({ reason: 'BUDGET_EXCEEDED' });
  });

  it('counts only executed emails toward the per-run ceiling', () => {
    const candidates = [
      passingCandidate(digest, { subjectKey: 'a' }),
      passingCandidate(digest, { subjectKey: 'b', confidence: 0 }),
      passingCandidate(digest, { subjectKey: 'c', alreadySucceeded: true }),
      passingCandidate(digest, { subjectKey: 'd' }),
    ];
    const { spend } = decideBatch(candidates, contextFor(digest), noSpend);
    expect(spend.emailsThisRun).toBe(2);
  });
});
