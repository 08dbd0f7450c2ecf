import { z } from 'zod';
import type { Candidate, DecisionContext, SpendSoFar } from './decide.js';
import type { PipelinePolicy } from './policy.js';
import { readClockTime, showClockTime, type QuietWindow } from './quiet-hours.js';
import type { PipelineSwitches } from './switches.js';

/**
 * What one decision read besides its policy, as `pipeline_executions.decision_facts` keeps it: enough to make the
 * decision again with {@link decide} (`ops what-if`). The confidence and signal count are the execution's own
 * columns and the decision time is `started_at`, so they are not repeated here. Written for every candidate of a
 * 100,000-family run, so what holds its usual value is left out: a digest's facts are
 * `{"windowCounts":[1,4],"emailsThisRun":1234}`.
 */
export const decisionFactsSchema = z
  .object({
    /** Switches that were not both on when the decision read them ([global, pipeline]). */
    switches: z.tuple([z.enum(['on', 'off', 'unknown']), z.enum(['on', 'off', 'unknown'])]).optional(),
    eventTimestamp: z.string().optional(),
    optedOut: z.literal(true).optional(),
    suppressed: z.literal(true).optional(),
    /** Emails of this type in the type cap's window (per child for a child-scoped cap); with a type cap only. */
    typeCount: z.number().int().nonnegative().optional(),
    /** Non-critical emails in each window of the policy's nonCriticalCaps; non-critical email only. */
    windowCounts: z.array(z.number().int().nonnegative()).optional(),
    /** Where the family was (family_time_zones), for an email that keeps quiet hours: what-if holds by its local hour. */
    timeZone: z.string().min(1).optional(),
    /** The family's own window (`HH:MM-HH:MM`), when it chose one; else the policy's applied. */
    quietHours: z.string().regex(/^\d\d:\d\d-\d\d:\d\d$/).optional(),
    hasPaymentAccount: z.boolean().optional(),
    amountCents: z.number().int().optional(),
    emailsThisRun: z.number().int().nonnegative().optional(),
    creditsTodayCents: z.number().int().optional(),
    emailCeilingShare: z.number().positive().max(1).optional(),
    problem: z.string().optional(),
  })
  .strict();
export type DecisionFacts = z.infer<typeof decisionFactsSchema>;

/** The facts of one decision, as recorded with it. */
export function decisionFacts(candidate: Candidate, policy: PipelinePolicy, switches: PipelineSwitches, spend: SpendSoFar): DecisionFacts {
  const facts: { -readonly [K in keyof DecisionFacts]: DecisionFacts[K] } = {};
  if (switches.global !== 'on' || switches.pipeline !== 'on') facts.switches = [switches.global, switches.pipeline];
  if (candidate.eventTimestamp !== null) facts.eventTimestamp = Number.isNaN(candidate.eventTimestamp.getTime()) ? 'invalid' : candidate.eventTimestamp.toISOString();
  if (candidate.problem) facts.problem = candidate.problem;
  const email = candidate.email;
  if (email !== null) {
    if (email.optedOut) facts.optedOut = true;
    if (email.suppressed) facts.suppressed = true;
    if (policy.typeCap !== null) facts.typeCount = email.typeCount;
    if (policy.familyCapped) facts.windowCounts = [...email.nonCriticalCounts];
    if (policy.quietHours !== null && email.place) {
      facts.timeZone = email.place.timeZone;
      if (email.place.window !== null) facts.quietHours = `${showClockTime(email.place.window.start)}-${showClockTime(email.place.window.end)}`;
    }
  }
  if (candidate.credit !== null) {
    facts.hasPaymentAccount = candidate.credit.hasPaymentAccount;
    facts.amountCents = candidate.credit.amountCents;
  }
  if (policy.channel === 'email') {
    facts.emailsThisRun = spend.emailsThisRun;
    if (spend.emailCeilingShare !== undefined && spend.emailCeilingShare !== 1) facts.emailCeilingShare = spend.emailCeilingShare;
  }
  if (policy.channel === 'credit') facts.creditsTodayCents = spend.creditsTodayCents;
  return facts;
}

/** A family's own window as the facts keep it (`21:30-07:00`), or null. */
function recordedWindow(text: string | undefined): QuietWindow | null {
  const [start, end] = (text ?? '').split('-').map((part) => readClockTime(part));
  return start?.ok && end?.ok ? { start: start.value, end: end.value } : null;
}

/** A recorded decision as {@link decide} reads it again: the candidate and the context but its policy. */
export interface RecordedInputs {
  readonly candidate: Candidate;
  readonly switches: PipelineSwitches;
  readonly startedAt: Date;
  readonly spend: SpendSoFar;
}

/** Rebuilds what a decision read from its record, for the channel of `policy`. */
export function inputsOf(
  facts: DecisionFacts,
  recorded: { subjectKey: string; confidence: number | null; signalCount: number | null; startedAt: Date },
  policy: PipelinePolicy,
): RecordedInputs {
  const [global, pipeline] = facts.switches ?? ['on', 'on'];
  const counts = facts.windowCounts ?? policy.nonCriticalCaps.map(() => 0);
  const candidate: Candidate = {
    subjectKey: recorded.subjectKey,
    alreadySucceeded: false,
    confidence: recorded.confidence,
    signalCount: recorded.signalCount,
    eventTimestamp: facts.eventTimestamp === undefined ? null : new Date(facts.eventTimestamp === 'invalid' ? Number.NaN : facts.eventTimestamp),
    email:
      policy.channel === 'email'
        ? {
            optedOut: facts.optedOut ?? false,
            suppressed: facts.suppressed ?? false,
            typeCount: facts.typeCount ?? 0,
            nonCriticalCounts: counts,
            place: facts.timeZone === undefined ? null : { timeZone: facts.timeZone, window: recordedWindow(facts.quietHours) },
          }
        : null,
    credit: policy.channel === 'credit' ? { hasPaymentAccount: facts.hasPaymentAccount ?? false, amountCents: facts.amountCents ?? 0 } : null,
    problem: facts.problem ?? null,
  };
  const spend: SpendSoFar = {
    emailsThisRun: facts.emailsThisRun ?? 0,
    creditsTodayCents: facts.creditsTodayCents ?? 0,
    ...(facts.emailCeilingShare !== undefined ? { emailCeilingShare: facts.emailCeilingShare } : {}),
  };
  return { candidate, switches: { global, pipeline }, startedAt: recorded.startedAt, spend };
}

/** The context {@link decide} takes, from recorded inputs and the policy to decide them under. */
export const contextOf = (inputs: RecordedInputs, policy: PipelinePolicy): DecisionContext => ({
  policy,
  switches: inputs.switches,
  startedAt: inputs.startedAt,
  spend: inputs.spend,
});
