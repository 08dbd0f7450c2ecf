import { unsentStatus } from '../../curator/escalation.js';
import type { PipelinePolicy } from '../../curator/policy.js';
import type { OutgoingEmail, SendOutcome } from '../../curator/ports.js';
import { storeFunctions } from '../../store/functions.js';
import type { CuratorDeps } from '../deps.js';
import type { ActResult, Claim } from './claim.js';
import { notSent, type RequestGate } from './request-gate.js';

/** A crisis alert that failed or went unanswered is sent again this many times before it is escalated. */
const criticalResends = 2;

/**
 * The emails still to resend, less those whose last answer was unknown (they may have gone) and that have had their
 * one unconfirmed resend (curator_take_resends, shared with a redelivery and the delayed check): a failed one is
 * resent freely, since it did not go.
 */
async function withoutSpentResends(deps: CuratorDeps, pending: OutgoingEmail[], answers: ReadonlyMap<string, SendOutcome>): Promise<OutgoingEmail[]> {
  const unconfirmed = pending.filter((email) => answers.get(email.executionId)?.status === 'unknown').map((email) => email.executionId);
  if (unconfirmed.length === 0) return pending;
  const taken = new Set(await deps.store.call(storeFunctions.takeResends, { executions: unconfirmed, now: deps.clock.now() }));
  return pending.filter((email) => answers.get(email.executionId)?.status !== 'unknown' || taken.has(email.executionId));
}

/**
 * Sends the claimed emails in the mailer's batch size, asking the gate before each batch, and maps each answer to
 * its outcome. A non-critical email whose outcome is unknown is not sent again (at most once; SendGrid's events
 * settle it). A critical one that failed is sent again, one that went unanswered once at most across every path
 * (withoutSpentResends), then it is escalated if it still did not go (escalation.ts), or left to its delayed check
 * when it may have: never dropped silently. What the gate held back is answered as not sent.
 */
export async function sendEmails(
  deps: CuratorDeps,
  emails: ReadonlyArray<{ claim: Claim; email: OutgoingEmail }>,
  policy: Pick<PipelinePolicy, 'critical'>,
  gate: RequestGate,
): Promise<ActResult[]> {
  const answers = new Map<string, SendOutcome>();
  const heldBack = new Set<string>();
  // Each email names its page's request batch, so SendGrid's events about it can settle an unknown outcome.
  let pending = emails.map((item) => (gate.batch === undefined ? item.email : { ...item.email, requestBatch: gate.batch }));
  const resends = policy.critical ? criticalResends : 0;
  for (let attempt = 0; pending.length > 0 && attempt <= resends; attempt += 1) {
    for (let start = 0; start < pending.length; start += deps.mailer.maxBatchSize) {
      const batch = pending.slice(start, start + deps.mailer.maxBatchSize);
      if (!(await gate.open())) {
        // Only a batch never attempted is held back; one answered before keeps that answer.
        for (const email of batch) if (!answers.has(email.executionId)) heldBack.add(email.executionId);
        continue;
      }
      let outcomes: SendOutcome[];
      try {
        outcomes = await deps.mailer.send(batch);
      } catch (error) {
        // A mailer that throws has not said what happened to the batch: its outcome is unknown.
        const reason = error instanceof Error ? error.message : String(error);
        outcomes = batch.map((email) => ({ executionId: email.executionId, status: 'unknown', error: reason }));
      }
      for (const outcome of outcomes) answers.set(outcome.executionId, outcome);
    }
    pending = pending.filter((email) => !heldBack.has(email.executionId) && answers.get(email.executionId)?.status !== 'sent');
    if (attempt < resends) pending = await withoutSpentResends(deps, pending, answers);
  }

  return emails.map(({ claim }): ActResult => {
    if (heldBack.has(claim.executionId)) return notSent(claim);
    const answer = answers.get(claim.executionId) ?? {
      executionId: claim.executionId,
      status: 'unknown' as const,
      error: 'the mailer gave no answer for this email',
    };
    if (answer.status === 'sent') {
      return {
        emailSent: true,
        outcome: {
          execution_id: claim.executionId,
          status: 'succeeded',
          error: null,
          email_log_id: claim.emailLogId,
          email_status: 'sent',
          provider_message_id: answer.providerMessageId,
        },
      };
    }
    // A critical email that may have gone stays unknown while its check two minutes on (crisis-check.ts) can confirm,
    // resend or escalate it; without a work queue to check from, it is escalated now.
    const checked = policy.critical && answer.status === 'unknown' && deps.continuations !== undefined;
    return {
      emailFailed: true,
      outcome: {
        execution_id: claim.executionId,
        status: checked ? 'unknown' : unsentStatus(policy, answer.status),
        error: answer.error,
        email_log_id: claim.emailLogId,
        // Unknown: it may have left, so it stays queued and keeps counting toward the caps.
        email_status: answer.status === 'failed' ? 'failed' : 'queued',
      },
    };
  });
}
