import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock, Mailer, OutgoingEmail, SendOutcome } from '../../curator/ports.js';
import { systemClock } from '../clock.js';

/** When an email went, in UTC and, for a family the app placed, on its own clock (`2027-01-05 08:00 Asia/Kolkata`). */
function sentTimes(at: Date, timeZone: string | undefined): { sentAt: string; timeZone?: string; localSentAt?: string } {
  if (timeZone === undefined) return { sentAt: at.toISOString() };
  const local = new Intl.DateTimeFormat('sv-SE', { timeZone, dateStyle: 'short', timeStyle: 'short' }).format(at);
  return { sentAt: at.toISOString(), timeZone, localSentAt: `${local} ${timeZone}` };
}

/**
 * A mailer for running without SendGrid: each email (recipient, template, data) becomes a JSON file named for
 * its execution in `dir`, with when it went (and, for a family the app placed, the local time there). Writing it is sending it; the outbox is what a family would have received. A content email
 * (the ops summary) becomes `{category}-{hash}.json` with its text, beside the `.html` SendGrid would have sent and
 * its inline images (`{category}-{hash}-{file}.png`, which the local HTML shows by file name).
 */
export function outboxMailer(dir: string, maxBatchSize = 1_000, clock: Clock = systemClock): Mailer {
  mkdirSync(dir, { recursive: true });
  return {
    maxBatchSize,
    async sendContent(email) {
      const name = `${email.category}-${createHash('sha256').update(email.subject + email.text).digest('hex').slice(0, 12)}`;
      const images = email.inlineImages ?? [];
      writeFileSync(
        join(dir, `${name}.json`),
        JSON.stringify({ to: email.to, subject: email.subject, category: email.category, text: email.text, images: images.map((image) => `${name}-${image.filename}`) }, null, 2),
      );
      // The images beside the HTML, which shows them by file name where the email says cid:, so a browser shows it whole.
      let html = email.html;
      for (const image of images) {
        writeFileSync(join(dir, `${name}-${image.filename}`), image.png);
        html = html.replaceAll(`cid:${image.contentId}`, `${name}-${image.filename}`);
      }
      writeFileSync(join(dir, `${name}.html`), html);
      return { status: 'sent', providerMessageId: `outbox-${name}` };
    },
    async send(emails: readonly OutgoingEmail[]): Promise<SendOutcome[]> {
      return emails.map((email) => {
        const file = join(dir, `${email.executionId}.json`);
        writeFileSync(
          file,
          JSON.stringify(
            {
              to: email.to,
              template: email.templateId,
              emailType: email.emailType,
              userId: email.userId,
              data: email.templateData,
              ...sentTimes(clock.now(), email.timeZone),
            },
            null,
            2,
          ),
        );
        return { executionId: email.executionId, status: 'sent', providerMessageId: `outbox-${email.executionId}` };
      });
    },
  };
}
