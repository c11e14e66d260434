/**
 * Ctrl-C of `tessera run`. The first SIGINT asks the run to cancel and gives it a bounded time to end
 * (the CLI's own worker is still up, so the cancellation can actually be processed); a second SIGINT
 * gives up at once. Temporal's runtime is installed without signal handlers (worker/runtime.ts), so
 * the in-process worker keeps serving until the command shuts it down.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';

/** How long a cancelled run may take to wind down before it is terminated. */
export const CANCEL_WAIT_MS = 15_000;

export const INTERRUPTED_EXIT_CODE = 130;

export interface Interrupt {
  /** Resolves on the first SIGINT. */
  readonly first: Promise<void>;
  dispose(): void;
}

/** Listens for SIGINT; the second one exits the process with 130 after `onSecond` printed its line. */
export function watchInterrupt(onSecond: () => void): Interrupt {
  let count = 0;
  let fire!: () => void;
  const first = new Promise<void>((resolve) => (fire = resolve));
  const handler = () => {
    if (++count === 1) return fire();
    onSecond();
    process.exit(INTERRUPTED_EXIT_CODE);
  };
  process.on('SIGINT', handler);
  return { first, dispose: () => process.off('SIGINT', handler) };
}

/**
 * Cancels the run and waits up to CANCEL_WAIT_MS for it to close; a run still open then is terminated,
 * because with the CLI's private task queue no other worker would ever finish it.
 */
export async function cancelRun(handle: WorkflowHandle, waitMs = CANCEL_WAIT_MS): Promise<'cancelled' | 'terminated'> {
  await handle.cancel().catch(() => undefined);
  const closed = handle.result().then(
    () => true,
    () => true,
  );
  const ended = await Promise.race([closed, sleep(waitMs, false, { ref: false })]);
  if (ended) return 'cancelled';
  await handle.terminate(`tessera run was interrupted and the run did not stop within ${waitMs / 1000} s`).catch(() => undefined);
  return 'terminated';
}
