import { Client } from '@sendgrid/client';
import type { ContentOutcome, Mailer, OutgoingEmail, SendOutcome } from '../../curator/ports.js';
import { groupBy } from '../../group-by.js';
import { defaultRetryPolicy, retryAfterMs, withRetries, type Classified, type RetryPolicy } from '../retry.js';
import { customArgs } from './event-webhook.js';


/** Network failures where the request never left: safe to send again. */
const notSent = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

interface ProviderError {
  code?: unknown;
  message?: string;
  response?: { headers?: Record<string, unknown>; body?: { errors?: Array<{ message?: string; field?: string }> } };
}

function describe(error: unknown): string {
  const failure = error as ProviderError;
  if (typeof failure.code === 'number') {
    const details = failure.response?.body?.errors?.map((entry) => [entry.field, entry.message].filter(Boolean).join(': ')).join('; ');
    return `SendGrid ${failure.code}${details ? `: ${details}` : failure.message ? `: ${failure.message}` : ''}`;
  }
  return `SendGrid request failed: ${(error as Error).message ?? String(error)}`;
}

function classify(error: unknown): Classified {
  const failure = error as ProviderError;
  if (typeof failure.code === 'number') {
    const transient = failure.code === 429 || failure.code >= 500;
    return { transient, retryAfterMs: retryAfterMs(failure.response?.headers?.['retry-after']) };
  }
  return { transient: typeof failure.code === 'string' && notSent.has(failure.code) };
}

/** A request that may have reached SendGrid although no answer came back (timeout, reset). */
function mayHaveLeft(error: unknown): boolean {
  const failure = error as ProviderError;
  return typeof failure.code !== 'number' && !(typeof failure.code === 'string' && notSent.has(failure.code));
}

/** Settings of the SendGrid mailer; the key comes from Secrets Manager in AWS. */
export interface SendGridMailerOptions {
  readonly apiKey: string;
  readonly from: { readonly email: string; readonly name?: string };
  /** Another endpoint than SendGrid's (a local server in tests). */
  readonly baseUrl?: string;
  readonly timeoutMs?: number;
  readonly retry?: RetryPolicy;
}

/**
 * The mailer on SendGrid's official client (`@sendgrid/client`, which `@sendgrid/mail` sends through): the v3
 * mail/send body is written here in SendGrid's own snake_case, since the mail helper deep-cloned and re-cased
 * every personalization of every request (a third of the curator's own CPU at 100,000 families). One request
 * per dynamic template and up to 1,000 recipients, each with their own
 * `dynamic_template_data` and `custom_args.execution_id` (the webhook joins its events back by it). 202: every
 * recipient is `sent`, with the request's X-Message-Id. 429, 5xx and connections that never opened are retried
 * with backoff and jitter, honouring Retry-After; any other 4xx fails the batch at once with SendGrid's error. A
 * request with no answer (timeout, reset) may have been delivered: its recipients are `unknown`, never resent here.
 *
 * @example
 * const mailer = sendGridMailer({ apiKey, from: { email: 'hello@storytailor.com', name: 'Storytailor' } });
 */
export function sendGridMailer(options: SendGridMailerOptions): Mailer {
  const client = new Client();
  client.setApiKey(options.apiKey);
  if (options.baseUrl) client.setDefaultRequest('baseUrl', options.baseUrl);
  // The client hands its default request to axios, which reads `timeout`; the typings do not list it.
  client.setDefaultRequest('timeout' as never, (options.timeoutMs ?? 10_000) as never);
  const policy = options.retry ?? defaultRetryPolicy;
  const from = options.from.name === undefined ? { email: options.from.email } : { email: options.from.email, name: options.from.name };

  /** One v3 mail/send request with retries; answers SendGrid's X-Message-Id. */
  const mailSend = async (body: object): Promise<string | null> => {
    const [response] = await withRetries(policy, () => client.request({ method: 'POST', url: '/v3/mail/send', body }), classify);
    const messageId = response.headers?.['x-message-id'];
    return typeof messageId === 'string' ? messageId : null;
  };

  const sendOne = async (emails: readonly OutgoingEmail[]): Promise<SendOutcome[]> => {
    const body = {
      from,
      template_id: emails[0]!.templateId,
      personalizations: emails.map((email) => ({
        to: [{ email: email.to }],
        dynamic_template_data: email.templateData,
        custom_args: {
          [customArgs.executionId]: email.executionId,
          [customArgs.emailType]: email.emailType,
          ...(email.requestBatch ? { [customArgs.batch]: email.requestBatch } : {}),
        },
      })),
    };
    try {
      const providerMessageId = await mailSend(body);
      return emails.map((email) => ({ executionId: email.executionId, status: 'sent', providerMessageId }));
    } catch (error) {
      const status = mayHaveLeft(error) ? 'unknown' : 'failed';
      const reason = describe(error);
      return emails.map((email) => ({ executionId: email.executionId, status, error: reason }));
    }
  };

  return {
    maxBatchSize: 1_000,
    // One personalization per recipient, so no one on the ops list sees the others' addresses.
    async sendContent(email): Promise<ContentOutcome> {
      const body = {
        from,
        subject: email.subject,
        categories: [email.category],
        personalizations: email.to.map((to) => ({ to: [{ email: to }] })),
        content: [
          { type: 'text/plain', value: email.text },
          { type: 'text/html', value: email.html },
        ],
        // Inline images: the HTML shows each by `cid:{content_id}`.
        ...(email.inlineImages && email.inlineImages.length > 0
          ? {
              attachments: email.inlineImages.map((image) => ({
                content: Buffer.from(image.png).toString('base64'),
                filename: image.filename,
                type: 'image/png',
                disposition: 'inline',
                content_id: image.contentId,
              })),
            }
          : {}),
      };
      try {
        return { status: 'sent', providerMessageId: await mailSend(body) };
      } catch (error) {
        return { status: mayHaveLeft(error) ? 'unknown' : 'failed', error: describe(error) };
      }
    },
    async send(emails) {
      const outcomes: SendOutcome[] = [];
      for (const group of groupBy(emails, (email) => email.templateId).values()) {
        for (let start = 0; start < group.length; start += 1_000) outcomes.push(...(await sendOne(group.slice(start, start + 1_000))));
      }
      return outcomes;
    },
  };
}
