import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { isStorableText, storableJson, storableText } from '../../events/storable.js';

/**
 * SendGrid's Event Webhook, as the curator speaks it: the custom args each message carries out (the mailer writes
 * them, the webhook reads them back), the signature headers and their verification, the local stand-in's signing,
 * and how one posted event is read.
 */

/** The custom args of every message: its execution, its email type, and its page's request batch (not SendGrid's batch_id). */
export const customArgs = { executionId: 'execution_id', emailType: 'email_type', batch: 'curator_batch_id' } as const;

/** The headers SendGrid signs a delivery with (ECDSA P-256 / SHA-256 over timestamp + raw body, base64 DER). */
export const webhookHeaders = {
  signature: 'x-twilio-email-event-webhook-signature',
  timestamp: 'x-twilio-email-event-webhook-timestamp',
} as const;

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
    // A signature that is not DER, or a key that does not fit it, verifies nothing: the delivery is refused as forged.
    return false;
  }
}

/** The headers SendGrid would send with `body` at `timestamp` (unix seconds): how the local stand-in and the tests sign. */
export function signatureHeaders(privateKey: KeyObject, timestamp: string, body: string): Record<string, string> {
  return {
    [webhookHeaders.timestamp]: timestamp,
    [webhookHeaders.signature]: sign('sha256', Buffer.from(timestamp + body), privateKey).toString('base64'),
  };
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const sendGridEvent = z.looseObject({
  sg_event_id: z.string().min(1),
  event: z.string().min(1),
  email: z.string().optional(),
  timestamp: z.number().int(),
  sg_message_id: z.string().optional(),
  type: z.string().optional(),
  [customArgs.executionId]: z.unknown().optional(),
});
/** A delivery: SendGrid posts a JSON array of events (batched, at most a few thousand). */
export const deliveryOfEvents = z.array(z.unknown()).min(1).max(10_000);

/** Events that suppress an address: applied whenever the address can be read, even from an event otherwise bad. */
export const suppressing = new Set(['unsubscribe', 'group_unsubscribe', 'spamreport', 'bounce']);
/** Earliest plausible SendGrid timestamp (2000-01-01); a later one than a day ahead is as implausible. */
const earliestTimestamp = 946_684_800;

/** One event as the store applies it, or why it cannot be. */
export type ReadEvent =
  | { readonly ok: true; readonly event: Record<string, unknown>; readonly cleaned: boolean }
  | { readonly ok: false; readonly problem: string };

const text = (value: unknown) => (typeof value === 'string' && value.length > 0 ? storableText(value) : null);
/** An address with what Postgres cannot store taken out, so a damaged one can still be read and suppressed. */
const address = (value: unknown) => {
  if (typeof value !== 'string') return null;
  const cleaned = value.replaceAll('\u0000', '').toWellFormed().replaceAll('\uFFFD', '').trim();
  return cleaned.length > 0 ? cleaned : null;
};

/**
 * Reads one event of a delivery. A well-formed event is taken as it is; one whose text Postgres cannot store or
 * whose timestamp is out of range is cleaned (NULs and unpaired surrogates replaced, the time taken as now); an
 * unsubscribe, spam report or bounce whose address can be read is applied whatever else is wrong (under an event
 * id derived from its content when it has none), since dropping it would email a family who asked us to stop.
 * Anything else is answered as a problem, counted and logged.
 */
export function readEvent(item: unknown, index: number, nowSeconds: number): ReadEvent {
  const parsed = sendGridEvent.safeParse(item);
  const raw = (item !== null && typeof item === 'object' ? item : {}) as Record<string, unknown>;
  const eventType = text(raw.event);
  const email = address(raw.email);
  if (!parsed.success && !(eventType !== null && suppressing.has(eventType) && email !== null)) {
    const issue = parsed.error.issues[0];
    return { ok: false, problem: `event ${index}: ${issue?.path.join('.') || '(event)'}: ${issue?.message}` };
  }
  const timestamp = typeof raw.timestamp === 'number' && Number.isInteger(raw.timestamp) ? raw.timestamp : null;
  const goodTime = timestamp !== null && timestamp >= earliestTimestamp && timestamp <= nowSeconds + 86_400;
  const eventId = text(raw.sg_event_id) ?? `derived-${createHash('sha256').update(JSON.stringify(storableJson(item).value)).digest('hex').slice(0, 32)}`;
  const executionId = text(raw[customArgs.executionId]);
  const batchId = text(raw[customArgs.batch]);
  const event = {
    sg_event_id: eventId,
    event: eventType,
    email,
    execution_id: executionId !== null && uuid.test(executionId) ? executionId : null,
    curator_batch_id: batchId !== null && uuid.test(batchId) ? batchId : null,
    sg_message_id: text(raw.sg_message_id),
    timestamp: goodTime ? timestamp : nowSeconds,
    type: text(raw.type),
  };
  const cleaned =
    !parsed.success ||
    !goodTime ||
    [raw.sg_event_id, raw.event, raw.email, raw.sg_message_id, raw.type].some((value) => typeof value === 'string' && !isStorableText(value));
  return { ok: true, event, cleaned };
}
