import type { CuratorDeps } from '../deps.js';
import { CanaryFailedError } from '../errors.js';

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
