/**
 * Webhook signatures: `X-Tessera-Signature: sha256=<hex>`, the HMAC-SHA256 of the raw request body under
 * the webhook's secret (the scheme GitHub and Stripe senders already know). The body is hashed as it
 * arrives, so a large multipart body is never held in memory to be checked.
 */
import { createHmac, randomBytes, timingSafeEqual, type Hmac } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-tessera-signature';

/** The digest the header claims, or undefined when the header is missing or malformed. */
export function claimedDigest(header: string | string[] | undefined): Buffer | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = /^sha256=([0-9a-f]{64})$/i.exec(value?.trim() ?? '');
  return match ? Buffer.from(match[1], 'hex') : undefined;
}

export function bodyHmac(secret: string): Hmac {
  return createHmac('sha256', secret);
}

/** Constant-time comparison: the time taken says nothing about how much of a guess was right. */
export function digestMatches(claimed: Buffer | undefined, actual: Buffer): boolean {
  return claimed !== undefined && claimed.length === actual.length && timingSafeEqual(claimed, actual);
}

/** What a sender puts in the header (also used by the tests). */
export function signBody(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
