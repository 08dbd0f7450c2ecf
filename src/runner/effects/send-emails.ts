import { unsentStatus } from '../../curator/escalation.js';
import type { PipelinePolicy } from '../../curator/policy.js';
import type { OutgoingEmail, SendOutcome } from '../../curator/ports.js';
import type { CuratorDeps } from '../deps.js';
import type { ActResult, Claim } from '../pages/page-plan.js';
import { notSent, type RequestGate } from './request-gate.js';

/** A crisis alert that failed or went unanswered is sent again this many times before it is escalated. */
const criticalResends = 2;

/**
 * Sends the claimed emails in the mailer's batch size, asking the gate before each batch, and maps each answer to
 * its outcome. A non-critical email whose outcome is unknown is not sent again (at most once; the webhook
 * reconciles it). A critical one that failed or went unanswered is sent again, then escalated if it still did
 * not go (escalation.ts): never dropped silently. What the gate held back is answered as not sent.
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
  for (let attempt = 0; pending.length > 0 && attempt <= (policy.critical ? criticalResends : 0); attempt += 1) {
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
  }

  return emails.map(({ claim }): ActResult => {
    if (heldBack.has(claim.executionId)) return notSent(claim, gate.closedBy ?? 'kill_switch');
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
    return {
      emailFailed: true,
      outcome: {
        execution_id: claim.executionId,
        status: unsentStatus(policy, answer.status),
        error: answer.error,
        email_log_id: claim.emailLogId,
        // Unknown: it may have left, so it stays queued and keeps counting toward the caps.
        email_status: answer.status === 'failed' ? 'failed' : 'queued',
      },
    };
  });
}
