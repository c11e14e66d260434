/**
 * The arithmetic of the shared rate limiter, kept apart from the databases that hold its state so it can
 * be tested on its own.
 *
 * A provider limited to N requests per interval has N slots. A request takes a free slot (a row in the
 * store's `rate_limit_slots`, taken inside a transaction that excludes every other process: see
 * slot-table.ts) and the slot becomes free again one interval after the request's answer came back:
 *
 *     granted ──── call in flight ──── answered ───────── one interval ─────────> free
 *
 * Two requests on one slot therefore reach the provider at least one interval apart (the later one is
 * sent after the slot is free, the earlier one had arrived before its answer), and by pigeonhole no window
 * of one interval ever holds more than N arrivals, however the network delays them: the provider's count,
 * not only ours, stays under the limit. While a call is in flight its slot is held until two intervals
 * after the grant (so a worker that dies mid-call frees its slots by itself), and a very long call counts
 * as answered one interval after its grant: a slot never stays taken longer than two intervals.
 */

export interface SlotState {
  slot: number;
  /** Epoch milliseconds from which the slot may be taken. */
  freeAt: number;
  /** A call holds it (its answer has not come back yet): it may become free earlier than `freeAt`. */
  inFlight: boolean;
}

export type SlotDecision = { grant: number } | { waitMs: number };

/**
 * How often a waiter looks again while calls are in flight: an answer can free a slot at any moment
 * before the time its row shows.
 */
export const IN_FLIGHT_POLL_MS = 250;

/**
 * Which of slots 0..limit-1 a request may take at `now` (the free one unused for longest, a slot with no
 * row being free), or how long to wait before asking again.
 */
export function decide(slots: readonly SlotState[], limit: number, now: number): SlotDecision {
  const byIndex = new Map(slots.filter((s) => s.slot < limit).map((s) => [s.slot, s]));
  let best: { slot: number; freeAt: number } | undefined;
  let wait = Infinity;
  for (let slot = 0; slot < limit; slot++) {
    const state = byIndex.get(slot);
    const freeAt = state?.freeAt ?? 0;
    if (freeAt <= now) {
      if (!best || freeAt < best.freeAt) best = { slot, freeAt };
    } else {
      wait = Math.min(wait, freeAt - now, state!.inFlight ? IN_FLIGHT_POLL_MS : Infinity);
    }
  }
  return best ? { grant: best.slot } : { waitMs: wait };
}

/** Until when a slot taken at `grantedAt` is held while its call is in flight. */
export function heldUntil(grantedAt: number, intervalMs: number): number {
  return grantedAt + 2 * intervalMs;
}

/** Until when a slot stays taken once its call was answered (or failed) at `answeredAt`. */
export function freeAfterAnswer(grantedAt: number, answeredAt: number, intervalMs: number): number {
  const counted = Math.min(Math.max(answeredAt, grantedAt), grantedAt + intervalMs);
  return counted + intervalMs;
}
