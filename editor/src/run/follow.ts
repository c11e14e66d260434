/**
 * Follows one run for the editor: replays its events from the first and then streams the live ones (the
 * typed client reads the SSE stream with fetch, so the API key travels in a header, never in a URL, and
 * the stream resumes by itself with Last-Event-ID when the connection drops). Changes are handed on at
 * most once per animation frame, with the ids of the nodes they touched, so a run of a large pipeline
 * redraws only what moved.
 */
import type { RunRecord } from '../../../engine/store/types.ts';
import { api, report } from '../session.ts';
import { applyEvent, emptyRun, seedFromRecord, settleFromRecord, type RunView } from './run-state.ts';

export interface RunFollower {
  view: RunView;
  /** Resolves when the run has finished (or the follower was stopped). */
  done: Promise<void>;
  stop(): void;
}

export function followRun(run: RunRecord, nodeIds: string[], onChange: (view: RunView, changed: Set<string>) => void): RunFollower {
  const view = emptyRun(run.id, [...new Set([...nodeIds, ...Object.keys(run.nodes ?? {})])]);
  seedFromRecord(view, run);
  const abort = new AbortController();
  const changed = new Set<string>();
  let frame = 0;
  const flush = () => {
    frame = 0;
    if (!changed.size) return;
    const ids = new Set(changed);
    changed.clear();
    onChange(view, ids);
  };
  const note = (ids: string[]) => {
    for (const id of ids) changed.add(id);
    if (!frame && changed.size) frame = requestAnimationFrame(flush);
  };

  const done = (async () => {
    try {
      for await (const event of api().followEvents(run.id, { signal: abort.signal, reconnectForMs: 60_000 })) note(applyEvent(view, event));
      if (abort.signal.aborted) return;
      note(['', ...settleFromRecord(view, await api().getRun(run.id))]);
    } catch (err) {
      if (!abort.signal.aborted) report(err);
    } finally {
      if (frame) cancelAnimationFrame(frame);
      flush();
    }
  })();

  return {
    view,
    done,
    stop: () => abort.abort(),
  };
}
