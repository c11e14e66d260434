/**
 * `?wait=`: waits up to a number of seconds for a run to finish, woken by the tracker's `run.finished`
 * (with a slow store poll as a fallback), and gives up early when the client goes away.
 */
import { isActiveRun, type RunRecord } from '../../store/types.ts';
import type { ApiDeps } from '../deps.ts';

export const MAX_WAIT_SECONDS = 300;

export function waitForRunEnd(deps: ApiDeps, runId: string, seconds: number, cancelled?: AbortSignal): Promise<RunRecord | undefined> {
  if (!(seconds > 0) || cancelled?.aborted) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let settled = false;
    const done = (run: RunRecord | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(poll);
      unsubscribe?.();
      cancelled?.removeEventListener('abort', onAbort);
      resolve(run);
    };
    const check = async () => {
      try {
        const run = await deps.store.getRun(runId);
        if (run && !isActiveRun(run.status)) done(run);
      } catch {
        // The store is closing with the server; the timer or the abort ends the wait.
      }
    };
    const onAbort = () => done(undefined);
    const unsubscribe = deps.tracker?.subscribe(runId, (event) => {
      if (event.type === 'run.finished') void check();
    });
    const timer = setTimeout(() => done(undefined), Math.min(seconds, MAX_WAIT_SECONDS) * 1000).unref();
    const poll = setInterval(() => void check(), 1000).unref();
    cancelled?.addEventListener('abort', onAbort, { once: true });
    void check();
  });
}
