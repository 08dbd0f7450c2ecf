import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Mailer, OutgoingEmail, SendOutcome } from '../../curator/ports.js';

/**
 * A mailer for running without SendGrid: each email (recipient, template, data) becomes a JSON file named for
 * its execution in `dir`. Writing it is sending it; the outbox is what a family would have received.
 */
export function outboxMailer(dir: string, maxBatchSize = 1_000): Mailer {
  mkdirSync(dir, { recursive: true });
  return {
    maxBatchSize,
    async send(emails: readonly OutgoingEmail[]): Promise<SendOutcome[]> {
      return emails.map((email) => {
        const file = join(dir, `${email.executionId}.json`);
        writeFileSync(
          file,
          JSON.stringify(
            { to: email.to, template: email.templateId, emailType: email.emailType, userId: email.userId, data: email.templateData },
            null,
            2,
          ),
        );
        return { executionId: email.executionId, status: 'sent', providerMessageId: `outbox-${email.executionId}` };
      });
    },
  };
}
