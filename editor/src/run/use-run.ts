/**
 * The run shown on the canvas: open one by id (following it live until it ends), start one, cancel it.
 * The run id lives in the URL (/pipelines/<id>/runs/<run>), so a reload follows the same run again.
 */
import { shallowRef, triggerRef } from 'vue';
import type { StartRunOptions } from '../../../engine/api/client/client.ts';
import type { RunRecord } from '../../../engine/store/types.ts';
import { call, Handled } from '../session.ts';
import { followRun, type RunFollower } from './follow.ts';
import type { RunView } from './run-state.ts';

export interface RunHooks {
  /** The node ids of the pipeline drawn (nodes the run has not reached show as pending). */
  nodeIds(): string[];
  /** Before following a run: e.g. draw the pipeline version it ran. */
  prepare(run: RunRecord): Promise<void>;
  /** Nodes whose state changed (at most once per frame); '' stands for the run itself; no view: no run shown. */
  changed(view: RunView | undefined, ids: Set<string>): void;
}

export function useRun(hooks: RunHooks) {
  const record = shallowRef<RunRecord>();
  const view = shallowRef<RunView>();
  let follower: RunFollower | undefined;
  let opened = 0;

  async function open(runId: string): Promise<void> {
    close();
    const mine = ++opened;
    try {
      const run = await call((api) => api.getRun(runId));
      if (mine !== opened) return;
      await hooks.prepare(run);
      if (mine !== opened) return;
      record.value = run;
      follower = followRun(run, hooks.nodeIds(), (v, ids) => {
        view.value = v;
        triggerRef(view);
        hooks.changed(v, ids);
      });
      view.value = follower.view;
      hooks.changed(follower.view, new Set(['', ...hooks.nodeIds()]));
      await follower.done;
      if (mine === opened) record.value = await call((api) => api.getRun(runId), { quiet: true });
    } catch (err) {
      if (!(err instanceof Handled)) throw err;
    }
  }

  function close(): void {
    opened++;
    follower?.stop();
    follower = undefined;
    const had = view.value;
    record.value = undefined;
    view.value = undefined;
    if (had) hooks.changed(undefined, new Set(['', ...Object.keys(had.nodes)]));
  }

  /** Starts a run of the saved pipeline; returns its id. */
  async function start(pipelineId: string, inputs: Record<string, unknown>, cache?: StartRunOptions['cache']): Promise<string | undefined> {
    try {
      const started = await call((api) => api.startRun(pipelineId, { inputs, cache }));
      return started.id;
    } catch (err) {
      if (!(err instanceof Handled)) throw err;
      return undefined;
    }
  }

  async function cancel(): Promise<void> {
    const id = record.value?.id;
    if (!id) return;
    await call((api) => api.cancelRun(id), { quiet: false }).catch((err: unknown) => {
      if (!(err instanceof Handled)) throw err;
    });
  }

  return { record, view, open, close, start, cancel };
}
