/**
 * Refuses an exact replay of a signed webhook call inside the tolerance window (after it, the timestamp
 * check refuses it). A small in-memory record per API process: signatures seen, each kept until its
 * timestamp leaves the window. With several API processes behind a load balancer, a call replayed to
 * another process inside the window is not caught; the window bounds that exposure to 5 minutes.
 *
 * Only signatures that verified are recorded, so only a holder of the secret can fill the record. When it
 * is full of live entries the guard fails closed (WEBHOOK_RATE_LIMITED, 429) rather than forgetting
 * signatures that could then be replayed.
 */
import { apiError } from '../errors.ts';
import { TOLERANCE_SECONDS } from './signature.ts';

export const MAX_REMEMBERED = 100_000;

export class ReplayGuard {
  /** `<webhook id>:<digest hex>` -> Unix second after which the entry is useless (insertion = rough time order). */
  private readonly seen = new Map<string, number>();

  constructor(private readonly capacity = MAX_REMEMBERED) {}

  /** Records a verified signature; throws SIGNATURE_REPLAYED when it was already used. */
  remember(webhookId: string, digest: Buffer, timestamp: number, nowSeconds: number): void {
    const key = `${webhookId}:${digest.toString('hex')}`;
    const until = this.seen.get(key);
    if (until !== undefined && until >= nowSeconds) {
      throw apiError('SIGNATURE_REPLAYED', 'This signed call was already received; sign every call (and every retry) with a fresh timestamp.', { webhookId });
    }
    if (this.seen.size >= this.capacity) this.prune(nowSeconds);
    if (this.seen.size >= this.capacity) {
      throw apiError('WEBHOOK_RATE_LIMITED', `More than ${this.capacity} signed webhook calls in ${2 * TOLERANCE_SECONDS} s on this server; retry later.`, {
        retryAfterSeconds: TOLERANCE_SECONDS,
      });
    }
    this.seen.delete(key); // an expired entry for the same key goes to the back of the order
    this.seen.set(key, timestamp + TOLERANCE_SECONDS);
  }

  get size(): number {
    return this.seen.size;
  }

  private prune(nowSeconds: number): void {
    // Entries are in arrival order and their lifetimes differ by at most the window, so expired entries
    // sit mostly at the front; sweep them all (this runs only when the record is full).
    for (const [key, until] of this.seen) if (until < nowSeconds) this.seen.delete(key);
  }
}
