/**
 * Stops a worker whose run() was called. Temporal's runtime is installed without signal handlers
 * (worker/runtime.ts), so the commands shut their workers down themselves; a worker whose run() has not
 * yet moved it to RUNNING cannot be shut down, so that moment is waited for first (otherwise Ctrl-C right
 * after start-up left it running and the command waiting forever).
 */
import type { Worker } from '@temporalio/worker';

export async function stopWorker(worker: Worker, running: Promise<unknown>): Promise<void> {
  while (worker.getState() === 'INITIALIZED') await new Promise((r) => setTimeout(r, 20));
  if (worker.getState() === 'RUNNING') worker.shutdown();
  await running.catch(() => undefined);
}
