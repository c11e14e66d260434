/** Polls a condition until it holds; fails the test with `what` when it has not within the time. */
import { setTimeout as sleep } from 'node:timers/promises';

export async function waitFor(check: () => Promise<boolean> | boolean, options: { what: string; timeoutMs?: number; everyMs?: number }): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (await Promise.resolve().then(check).catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what}`);
    await sleep(options.everyMs ?? 100);
  }
}
