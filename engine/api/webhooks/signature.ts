/**
 * Webhook signatures, in the style of Stripe and Slack: the sender puts the current Unix time in
 * `X-Tessera-Timestamp` and `X-Tessera-Signature: sha256=<hex>`, the HMAC-SHA256 under the webhook's
 * secret of `<timestamp>.<raw body>`. Signing the time with the body means a captured call stops working
 * after the tolerance window; replays inside the window are refused by replay-guard.ts. A signature
 * without a timestamp (the old scheme) is refused. The body is hashed as it arrives, so a large multipart
 * body is never held in memory to be checked.
 */
import { createHmac, randomBytes, timingSafeEqual, type Hmac } from 'node:crypto';
import { apiError } from '../errors.ts';

export const SIGNATURE_HEADER = 'x-tessera-signature';
export const TIMESTAMP_HEADER = 'x-tessera-timestamp';
/** How far the sender's clock and ours may disagree, and how long a captured call stays usable. */
export const TOLERANCE_SECONDS = 300;

export interface ClaimedSignature {
  digest: Buffer;
  /** Unix seconds, as sent. */
  timestamp: number;
}

const HOW_TO_SIGN =
  `send ${TIMESTAMP_HEADER}: <Unix seconds> and ${SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 under the webhook's secret of "<timestamp>.<raw body>">`;

/**
 * The signature the headers claim; throws SIGNATURE_INVALID when either header is missing or malformed,
 * SIGNATURE_EXPIRED when the timestamp is outside the window. Needs no body, so it runs before one is read.
 */
export function claimedSignature(headers: Record<string, string | string[] | undefined>, nowSeconds: number): ClaimedSignature {
  const signature = /^sha256=([0-9a-f]{64})$/i.exec(single(headers[SIGNATURE_HEADER]));
  const stamp = /^\d{1,12}$/.exec(single(headers[TIMESTAMP_HEADER]));
  if (!signature || !stamp) throw apiError('SIGNATURE_INVALID', `This webhook is signed: ${HOW_TO_SIGN}.`);
  const timestamp = Number(stamp[0]);
  if (Math.abs(nowSeconds - timestamp) > TOLERANCE_SECONDS) {
    throw apiError(
      'SIGNATURE_EXPIRED',
      `${TIMESTAMP_HEADER} is ${nowSeconds - timestamp} s away from the server's clock; signed calls are accepted for ${TOLERANCE_SECONDS} s. Sign each call (and each retry) with the current time.`,
      { timestamp, now: nowSeconds, toleranceSeconds: TOLERANCE_SECONDS },
    );
  }
  return { digest: Buffer.from(signature[1], 'hex'), timestamp };
}

/** An HMAC primed with the timestamp: feed it the raw body, chunk by chunk, then compare with verify(). */
export function signedHmac(secret: string, timestamp: number): Hmac {
  return createHmac('sha256', secret).update(`${timestamp}.`);
}

/** Constant-time comparison: the time taken says nothing about how much of a guess was right. */
export function verify(claimed: ClaimedSignature, actual: Buffer): void {
  if (claimed.digest.length !== actual.length || !timingSafeEqual(claimed.digest, actual)) {
    throw apiError('SIGNATURE_INVALID', `The signature does not match this body and timestamp: ${HOW_TO_SIGN}.`);
  }
}

/** The headers a sender adds (used by the tests; senders in other languages follow the same recipe). */
export function signatureHeaders(secret: string, body: Buffer | string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const digest = signedHmac(secret, timestamp).update(body).digest('hex');
  return { [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: `sha256=${digest}` };
}

export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function single(header: string | string[] | undefined): string {
  return (Array.isArray(header) ? header[0] : header)?.trim() ?? '';
}
