import type { BalanceMovement, MovementOutcome, OutgoingEmail, SendOutcome } from '../curator/ports.js';
import type { CuratorDeps } from './deps.js';
import { CanaryFailedError } from './errors.js';
import type { ActResult, Claim } from './page.js';

/** A crisis alert that failed or went unanswered is sent again this many times before it is escalated. */
const criticalResends = 2;

/**
 * Sends the claimed emails in the mailer's batch size and maps each answer to its outcome. A non-critical email
 * whose outcome is unknown is not sent again (at most once; the webhook reconciles it). A critical one that
 * failed or went unanswered is sent again, then escalated if it still did not go: never dropped silently.
 */
export async function sendEmails(
  deps: CuratorDeps,
  emails: ReadonlyArray<{ claim: Claim; email: OutgoingEmail }>,
  critical: boolean,
): Promise<ActResult[]> {
  const answers = new Map<string, SendOutcome>();
  let pending = emails.map((item) => item.email);
  for (let attempt = 0; pending.length > 0 && attempt <= (critical ? criticalResends : 0); attempt += 1) {
    for (let start = 0; start < pending.length; start += deps.mailer.maxBatchSize) {
      const batch = pending.slice(start, start + deps.mailer.maxBatchSize);
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
    pending = pending.filter((email) => answers.get(email.executionId)?.status !== 'sent');
  }

  return emails.map(({ claim }): ActResult => {
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
    const status = critical ? 'escalated' : answer.status;
    return {
      emailFailed: true,
      outcome: {
        execution_id: claim.executionId,
        status,
        error: answer.error,
        email_log_id: claim.emailLogId,
        // Unknown: it may have left, so it stays queued and keeps counting toward the caps.
        email_status: answer.status === 'failed' ? 'failed' : 'queued',
      },
    };
  });
}

/**
 * Moves credit through the payments port for claimed ledger rows. A ledger row that already carries a Stripe
 * transaction id was paid by an earlier attempt whose outcome was not recorded: it is not sent again.
 */
export async function moveCredits(
  deps: CuratorDeps,
  movements: ReadonlyArray<{ claim: Claim; movement: BalanceMovement | null }>,
  direction: 'credit' | 'reverse',
): Promise<Map<string, MovementOutcome>> {
  const answers = new Map<string, MovementOutcome>();
  const toSend: BalanceMovement[] = [];
  for (const { claim, movement } of movements) {
    if (movement === null) continue;
    const paid = claim.ledger?.stripe_balance_transaction_id;
    if (paid) answers.set(movement.ledgerId, { ledgerId: movement.ledgerId, status: 'succeeded', transactionId: paid });
    else toSend.push(movement);
  }
  if (toSend.length > 0) {
    let outcomes: MovementOutcome[];
    try {
      outcomes = direction === 'credit' ? await deps.payments.credit(toSend) : await deps.payments.reverse(toSend);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      outcomes = toSend.map((movement) => ({ ledgerId: movement.ledgerId, status: 'failed', error: reason }));
    }
    for (const outcome of outcomes) answers.set(outcome.ledgerId, outcome);
  }
  return answers;
}

/**
 * Sends the run's email, with sample data, to the configured internal canary list before any family gets it.
 * Throws CanaryFailedError if the provider does not accept it, so the fan-out never starts.
 */
export async function sendCanary(
  deps: CuratorDeps,
  input: { runId: string; emailType: string; templateId: string; periodKey: string },
): Promise<void> {
  const recipients = deps.config.canaryRecipients ?? [];
  if (recipients.length === 0) return;
  const outcomes = await deps.mailer.send(
    recipients.map((to, index) => ({
      executionId: `canary-${input.runId}-${index}`,
      userId: 'canary',
      to,
      emailType: input.emailType,
      templateId: input.templateId,
      templateData: { first_name: 'Canary', period_key: input.periodKey, stories_read: 3, top_story_title: 'The Canary Who Sang', canary: true },
    })),
  );
  const failed = outcomes.flatMap((outcome) => (outcome.status === 'sent' ? [] : [outcome]));
  if (failed.length > 0) {
    const reason = failed[0]!.error;
    throw new CanaryFailedError(`canary send failed (${failed.length} of ${recipients.length}): ${reason}; no family was emailed`);
  }
  deps.logger.info('canary sent', { pipeline_type: input.emailType, recipients: recipients.length });
}
