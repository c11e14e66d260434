/**
 * Retries, as `tessera run` shows them: a node between attempts is not stuck, it waits. Temporal knows
 * each pending activity's attempt, its maximum, the last failure and when the next attempt starts
 * (`describe()`); the activity id is the node id.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { optionalTsToDate } from '@temporalio/common/lib/time.js';

export interface RetryState {
  attempt: number;
  /** 0: unlimited. */
  maximumAttempts: number;
  lastError?: string;
  /** Set while the node waits for its next attempt. */
  nextAttemptAt?: Date;
}

/** Nodes that have failed at least once and are still pending, by node id. */
export async function pendingRetries(handle: WorkflowHandle): Promise<Map<string, RetryState>> {
  const retries = new Map<string, RetryState>();
  const description = await handle.describe();
  for (const pending of description.raw.pendingActivities ?? []) {
    const attempt = pending.attempt ?? 1;
    if (!pending.activityId || (attempt <= 1 && !pending.lastFailure)) continue;
    retries.set(pending.activityId, {
      attempt,
      maximumAttempts: pending.maximumAttempts ?? 0,
      lastError: pending.lastFailure?.message ?? undefined,
      nextAttemptAt: optionalTsToDate(pending.nextAttemptScheduleTime),
    });
  }
  return retries;
}

/** "attempt 2/5 in 12 s; last error: ..." (the wait only while there is one). */
export function describeRetry(state: RetryState, now = Date.now()): string {
  const of = state.maximumAttempts > 0 ? `/${state.maximumAttempts}` : '';
  const waitMs = state.nextAttemptAt ? state.nextAttemptAt.getTime() - now : 0;
  const wait = waitMs > 0 ? ` in ${Math.ceil(waitMs / 1000)} s` : '';
  const last = state.lastError ? `; last error: ${state.lastError.split('\n')[0].slice(0, 200)}` : '';
  return `attempt ${state.attempt}${of}${wait}${last}`;
}
