import { createPublicKey, verify, type KeyObject } from 'node:crypto';

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
