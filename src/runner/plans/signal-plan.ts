import { emailPolicyJson } from '../../curator/policy.js';
import { storeFunctions } from '../../store/functions.js';
import { pipelineOf } from '../../pipelines/index.js';
import type { SignalCandidate } from '../../store/rows.js';
import type { CuratorDeps } from '../deps.js';
import type { SignalJob } from '../../requests/job-request.js';
import type { PagePlan } from '../pages/page-plan.js';
import { sendEmails } from '../effects/send-emails.js';
import { emailFacts, templateOf } from './email-plan.js';

/** A realtime signal with what the database knows of its user. */
export interface SignalRow {
  readonly signal: SignalJob;
  readonly found: SignalCandidate;
  readonly childId: string | null;
}

function childOf(context: Readonly<Record<string, unknown>>): string | null {
  const child = context.childId ?? context.child_id;
  return typeof child === 'string' && child.length > 0 ? child : null;
}

/** What the execution row keeps of the signal: enough to decide it again on a replay, and what was cleaned. */
function triggerData(signal: SignalJob, childId: string | null): Record<string, unknown> {
  return {
    signal_id: signal.signalId,
    event_timestamp: signal.eventTimestamp,
    child_id: childId,
    confidence: signal.confidence,
    signal_count: signal.signalCount,
    context: signal.context,
    ...(signal.contextCleaned ? { context_cleaned: true } : {}),
  };
}

/** Looks up a signal's user, their email facts and the existing decision: one round trip. */
export async function loadSignal(deps: CuratorDeps, signal: SignalJob, policy: Parameters<typeof emailPolicyJson>[0]): Promise<SignalRow> {
  const childId = childOf(signal.context);
  const found = await deps.store.call(storeFunctions.signalCandidate, {
    jobType: signal.jobType,
    emailType: pipelineOf(signal.jobType).emailType!,
    signalId: signal.signalId,
    userId: signal.userId,
    childId,
    policy: emailPolicyJson(policy),
    at: deps.clock.now(),
  });
  return { signal, found, childId };
}

/**
 * Realtime signals (crisis alert, early intervention, story failure, asset timeout): one email to the family the
 * signal names, keyed by the app's signal id. A signal that names no user, or one whose essential fields could not
 * be read, cannot be attempted: the decision fails it (escalated for a crisis alert), and it is recorded, not
 * dropped.
 */
export function signalPlan(deps: CuratorDeps, row: SignalRow): PagePlan<SignalRow> {
  const { jobType } = row.signal;
  const emailType = pipelineOf(jobType).emailType!;
  return {
    jobType,
    load: async (page) => (page.after === null ? [row] : []),
    subjectOf: (it) => it.signal.userId,
    periodOf: (it) => it.signal.signalId,
    userOf: (it) => it.signal.userId,
    existingOf: (it) => it.found.existing,
    candidateOf: (it, policy) => {
      const problem = it.signal.problem ?? (it.found.user === null ? `userId ${it.signal.userId} names no user` : null);
      const facts = it.found.facts === null ? null : emailFacts(it.found.facts);
      const perChild = policy.typeCap?.scope === 'child' && it.found.child_type_count !== null;
      return {
        subjectKey: it.signal.userId,
        alreadySucceeded: it.found.existing?.status === 'succeeded',
        signalCount: it.signal.signalCount,
        confidence: it.signal.confidence,
        eventTimestamp: it.signal.eventTimestamp === null ? null : new Date(it.signal.eventTimestamp),
        email: facts !== null && perChild ? { ...facts, typeCount: it.found.child_type_count! } : facts,
        credit: null,
        problem,
      };
    },
    recordOf: (it, verdict) => ({
      trigger_data: triggerData(it.signal, it.childId),
      template_id: verdict.outcome === 'fail' ? null : templateOf(deps, emailType),
      credit: null,
    }),
    act: (claims, policy, gate) =>
      sendEmails(
        deps,
        claims.map(({ row: it, claim }) => ({
          claim,
          email: {
            executionId: claim.executionId,
            userId: it.signal.userId,
            to: it.found.user!.email,
            emailType,
            templateId: templateOf(deps, emailType),
            templateData: {
              first_name: it.found.user!.first_name,
              signal_id: it.signal.signalId,
              event_timestamp: it.signal.eventTimestamp,
              child_id: it.childId,
              context: it.signal.context,
            },
          },
        })),
        policy,
        gate,
      ),
  };
}
