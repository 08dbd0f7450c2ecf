import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { systemClock } from '../adapters/clock.js';
import { MetricName, type Clock, type Logger, type Metrics } from '../curator/ports.js';
import type { CuratorStore } from '../store/curator-store.js';

/** The part of a Lambda function URL event the webhook reads. */
export interface FunctionUrlEvent {
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  readonly requestContext?: { readonly http?: { readonly method?: string } };
}

export interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** What the webhook needs, wired once per cold start. */
export interface WebhookDeps {
  readonly store: CuratorStore;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** SendGrid's signed-webhook verification key. */
  readonly publicKey: KeyObject;
  /** How old a signed timestamp may be, either way, before the request is refused as stale. */
  readonly toleranceSeconds: number;
}

const signatureHeader = 'x-twilio-email-event-webhook-signature';
const timestampHeader = 'x-twilio-email-event-webhook-timestamp';
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const sendGridEvent = z.looseObject({
  sg_event_id: z.string().min(1),
  event: z.string().min(1),
  email: z.string().optional(),
  timestamp: z.number().int(),
  sg_message_id: z.string().optional(),
  type: z.string().optional(),
  execution_id: z.unknown().optional(),
});
const delivery = z.array(sendGridEvent).min(1).max(10_000);

/**
 * Reads SendGrid's verification key as the dashboard shows it (base64 DER) or as PEM.
 *
 * @example
 * const key = publicKeyOf(process.env.SENDGRID_WEBHOOK_PUBLIC_KEY!);
 */
export function publicKeyOf(text: string): KeyObject {
  const trimmed = text.trim();
  return trimmed.startsWith('-----BEGIN')
    ? createPublicKey(trimmed)
    : createPublicKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'spki' });
}

/** SendGrid signs timestamp + raw body with ECDSA P-256 / SHA-256; the signature is base64 DER. */
export function signatureIsValid(publicKey: KeyObject, rawBody: Buffer, timestamp: string, signature: string): boolean {
  try {
    return verify('sha256', Buffer.concat([Buffer.from(timestamp, 'utf8'), rawBody]), publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

const answer = (statusCode: number, body: Record<string, unknown>): FunctionUrlResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/**
 * The SendGrid event webhook behind a Lambda function URL. Verifies the signature over the raw body bytes (base64
 * encoded or not) within the timestamp tolerance; refuses unsigned, forged or stale requests with 401 and
 * malformed ones with 400, writing nothing. Applies new events (each SendGrid event id once): statuses only move
 * forward, bounces, spam reports and unsubscribes suppress the address, and they are counted as Bounces,
 * SpamReports and Unsubscribes in Storytailor/Email. Never logs an address.
 */
export function createSendGridWebhookHandler(dependencies: () => Promise<WebhookDeps>) {
  let built: Promise<WebhookDeps> | null = null;
  return async (event: FunctionUrlEvent): Promise<FunctionUrlResult> => {
    built ??= dependencies().catch((error: unknown) => {
      built = null;
      throw error;
    });
    const deps = await built;
    const clock = deps.clock ?? systemClock;
    const refuse = (statusCode: 400 | 401 | 405, error: string) => {
      deps.logger.warn('sendgrid webhook refused', { status: statusCode, error });
      return answer(statusCode, { error });
    };

    const method = event.requestContext?.http?.method ?? 'POST';
    if (method !== 'POST') return refuse(405, `method ${method} is not allowed; SendGrid posts events`);
    const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([key, value]) => [key.toLowerCase(), value]));
    const signature = headers[signatureHeader];
    const timestamp = headers[timestampHeader];
    if (!signature || !timestamp) return refuse(401, `unsigned: ${signatureHeader} and ${timestampHeader} are required`);
    if (!/^\d{1,12}$/.test(timestamp)) return refuse(401, `${timestampHeader} is not a unix time`);
    const age = Math.abs(clock.now().getTime() / 1_000 - Number(timestamp));
    if (age > deps.toleranceSeconds) return refuse(401, `stale: signed ${Math.round(age)} s away from now, more than ${deps.toleranceSeconds} s`);
    const rawBody = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    if (!signatureIsValid(deps.publicKey, rawBody, timestamp, signature)) return refuse(401, 'the signature does not match the body');

    let parsed: z.infer<typeof delivery>;
    try {
      const result = delivery.safeParse(JSON.parse(rawBody.toString('utf8')));
      if (!result.success) {
        const issue = result.error.issues[0];
        return refuse(400, `malformed events at ${issue?.path.join('.') || '(body)'}: ${issue?.message}`);
      }
      parsed = result.data;
    } catch {
      return refuse(400, 'the body is not JSON');
    }

    const events = parsed.map((item) => ({
      sg_event_id: item.sg_event_id,
      event: item.event,
      email: item.email ?? null,
      execution_id: typeof item.execution_id === 'string' && uuid.test(item.execution_id) ? item.execution_id : null,
      sg_message_id: item.sg_message_id ?? null,
      timestamp: item.timestamp,
      type: item.type ?? null,
    }));
    const result = await deps.store.applyEmailEvents(events, clock.now());
    const count = (name: MetricName, value: number) => {
      if (value > 0) deps.metrics.record({ name, value, unit: 'Count' });
    };
    count(MetricName.Unsubscribes, result.unsubscribes);
    count(MetricName.Bounces, result.bounces);
    count(MetricName.SpamReports, result.spamreports);
    await deps.metrics.flush().catch((error: unknown) => {
      deps.logger.error('metrics flush failed', { error: error instanceof Error ? error.message : String(error) });
    });
    deps.logger.info('sendgrid events applied', { ...result });
    return answer(200, result);
  };
}

/** The Lambda entry point behind the function URL, configured from the environment. */
export const handler = createSendGridWebhookHandler(async () => {
  const { loadConfig } = await import('./config.js');
  const { buildWebhookDependencies } = await import('./dependencies.js');
  return buildWebhookDependencies(loadConfig(process.env));
});
