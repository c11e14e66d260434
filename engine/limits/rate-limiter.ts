/**
 * The per-provider rate limiter of a worker process: before a provider call it takes a slot from the
 * store's shared slot table (slot-table.ts, slots.ts), waiting when all are taken, and hands the slot back
 * when the call is answered. Waiting never fails the call: it heartbeats and ends only when a slot is free
 * or the activity is cancelled.
 *
 * Within one process the callers of a provider queue in order and only the first asks the database, so a
 * worker with 100 activities waiting for one provider costs the database one query per wake-up, not 100.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger.ts';
import { NodeError } from '../node-sdk/define-node.ts';
import { describeRateLimit, type RateLimit } from './rate-limits.ts';
import type { Grant, SlotTable } from './slot-table.ts';
import type { StoreSettings } from '../store/open-store.ts';

export interface WaitOptions {
  /** Cancels the wait (the activity's cancellation). */
  signal?: AbortSignal;
  /** Called while waiting, so Temporal knows the activity is alive. */
  heartbeat?: () => void;
  log?: Logger;
}

/** Longest single sleep while waiting: the waiter heartbeats and looks again at least this often. */
const MAX_SLEEP_MS = 5000;

export class RateLimiter {
  private readonly limits: Map<string, RateLimit>;
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly table: SlotTable, limits: readonly RateLimit[]) {
    this.limits = new Map(limits.map((l) => [l.provider, l]));
  }

  /** The limit of a provider by the name nodes give it; undefined: unlimited. */
  limitOf(provider: string): RateLimit | undefined {
    return this.limits.get(provider);
  }

  /** For the start-up banner: `openai 60/m, anthropic 50/m (shared through PostgreSQL ...)`. */
  describe(): string {
    return `${[...this.limits.values()].map((l) => `${l.provider} ${describeRateLimit(l)}`).join(', ')} (shared through ${this.table.where})`;
  }

  /** Runs `call` in a slot of `provider`'s limit (at once when it has none). */
  async run<T>(provider: string, call: () => Promise<T>, options: WaitOptions = {}): Promise<T> {
    const limit = this.limits.get(provider);
    if (!limit) return call();
    const grant = await this.acquire(limit, options);
    try {
      return await call();
    } finally {
      await this.table.release(grant).catch((err: unknown) => {
        // The slot frees by itself two intervals after its grant: the limit holds, only later than it could.
        options.log?.warn({ err, provider }, 'could not hand a rate limit slot back');
      });
    }
  }

  async close(): Promise<void> {
    await this.table.close();
  }

  private async acquire(limit: RateLimit, options: WaitOptions): Promise<Grant> {
    const { signal } = options;
    let lane = this.lanes.get(limit.provider);
    if (!lane) this.lanes.set(limit.provider, (lane = new Lane()));
    await lane.enter(signal);
    try {
      let waitedSince: number | undefined;
      for (;;) {
        signal?.throwIfAborted();
        let result;
        try {
          result = await this.table.take(limit.provider, limit.limit, limit.intervalMs);
        } catch (err) {
          // Without the shared count the call is not made (it could trip the provider's limit); retried.
          throw new NodeError(
            'RATE_LIMIT_UNAVAILABLE',
            `Could not take a slot of provider "${limit.provider}"'s rate limit (${describeRateLimit(limit)}) from ${this.table.where}: ${(err as Error)?.message ?? String(err)}. Nothing was sent.`,
            { retryable: true, details: { provider: limit.provider } },
          );
        }
        if ('grant' in result) {
          if (waitedSince !== undefined) options.log?.info({ provider: limit.provider, waitedMs: Date.now() - waitedSince }, 'rate limit slot taken after waiting');
          return result.grant;
        }
        if (waitedSince === undefined) {
          waitedSince = Date.now();
          options.log?.info({ provider: limit.provider, limit: describeRateLimit(limit) }, 'waiting for a rate limit slot');
        }
        options.heartbeat?.();
        // A little jitter keeps workers that wake for the same slot from all asking at the same instant.
        await sleep(Math.min(result.waitMs, MAX_SLEEP_MS) + Math.random() * 10, undefined, { signal });
      }
    } finally {
      lane.leave();
    }
  }
}

/** The limiter of a worker whose settings give `limits` (none: undefined, and nothing is opened). */
export async function openRateLimiter(settings: StoreSettings, limits: readonly RateLimit[]): Promise<RateLimiter | undefined> {
  if (limits.length === 0) return undefined;
  // The slot table's drivers (better-sqlite3, pg) are loaded only by a worker that has limits.
  const { openSlotTable } = await import('./slot-table.ts');
  return new RateLimiter(await openSlotTable(settings), limits);
}

/** A FIFO turn per provider within the process; a cancelled waiter leaves the queue. */
class Lane {
  private busy = false;
  private readonly queue: { resolve: () => void }[] = [];

  async enter(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (!this.busy) {
      this.busy = true;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.queue.splice(this.queue.indexOf(waiter), 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  /** Hands the turn to the next waiter (it stays busy), or frees it. */
  leave(): void {
    const next = this.queue.shift();
    if (next) next.resolve();
    else this.busy = false;
  }
}
