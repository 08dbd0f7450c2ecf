import type { CuratorDeps } from '../deps.js';

/**
 * How long after a claim a crisis alert is checked: SendGrid posts its events about every 30 seconds, and two minutes
 * leave a resend, and its own check, inside the five-minute SLA.
 */
export const crisisCheckDelaySeconds = 120;

/**
 * Queues the check of each claimed crisis alert on the work queue, two minutes on (SQS DelaySeconds). Without a work
 * queue (locally) there is no check: an alert whose outcome stays unknown is escalated by the send itself.
 */
export async function queueCrisisChecks(deps: CuratorDeps, executionIds: readonly string[]): Promise<void> {
  if (deps.continuations === undefined) return;
  const checks = executionIds.map((executionId) => ({ kind: 'crisis_check' as const, jobType: 'crisis_alert' as const, executionId }));
  await deps.continuations.continueWith(checks, { delaySeconds: crisisCheckDelaySeconds });
}
