/**
 * The triggers panel's data: the pipeline's schedules (each with Temporal's view through our API: next
 * times, recent runs), its webhooks, and the runs they started. Loaded when the panel opens and again
 * every few seconds while it is open, so new runs appear; every call goes through `call` (coded errors
 * show on the page's error line; background refreshes are quiet).
 */
import { onBeforeUnmount, onMounted, reactive, watch } from 'vue';
import type { ScheduleTemporalView, ScheduleView, TesseraClient, WebhookView } from '../../../../engine/api/client/client.ts';
import type { RunSummary } from '../../../../engine/store/types.ts';
import { runsOf, type ListedRun } from '../../model/trigger-runs.ts';
import { call, Handled, session } from '../../session.ts';

export type { ListedRun };

export const REFRESH_MS = 3000;


export interface ScheduleEntry {
  schedule: ScheduleView;
  /** Temporal's view, or null when Temporal has no such schedule (undefined until first described). */
  temporal?: ScheduleTemporalView | null;
  /** Runs it started, newest first (from the run index, plus any Temporal started that are not indexed yet). */
  runs: ListedRun[];
}

export interface TriggersState {
  loaded: boolean;
  schedules: ScheduleEntry[];
  webhooks: WebhookView[];
  /** Runs started by a webhook of this pipeline, newest first. */
  webhookRuns: RunSummary[];
  /** Bumped at each refresh: relative times ("in 3 s") are computed against it. */
  now: number;
}

/** How many recent runs of each trigger kind are read per refresh (the run list's pages are newest first). */
const RUNS_PER_KIND = 100;

export function useTriggers(pipelineId: () => string) {
  const state = reactive<TriggersState>({ loaded: false, schedules: [], webhooks: [], webhookRuns: [], now: Date.now() });
  let inFlight: Promise<void> | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;

  async function load(quiet: boolean): Promise<void> {
    const id = pipelineId();
    const [schedules, webhooks, scheduleRuns, webhookRuns] = await call(
      (api) => Promise.all([
        api.listSchedules(id),
        api.listWebhooks(id),
        api.listRuns({ pipelineId: id, trigger: 'schedule', limit: RUNS_PER_KIND }),
        api.listRuns({ pipelineId: id, trigger: 'webhook', limit: RUNS_PER_KIND }),
      ]),
      { quiet },
    );
    // Temporal's view of each; one that vanished between the two calls is simply left without it.
    const described = await Promise.allSettled(schedules.map((s) => call((api: TesseraClient) => api.getSchedule(s.id), { quiet: true })));
    if (id !== pipelineId()) return; // the panel moved to another pipeline meanwhile
    state.schedules = schedules.map((schedule, i) => {
      const d = described[i];
      const temporal = d.status === 'fulfilled' ? d.value.temporal : state.schedules.find((e) => e.schedule.id === schedule.id)?.temporal;
      return { schedule, temporal, runs: runsOf(schedule, temporal, scheduleRuns) };
    });
    state.webhooks = webhooks;
    state.webhookRuns = webhookRuns.items;
    state.now = Date.now();
    state.loaded = true;
  }

  /** Loads now (or waits for the load in progress); errors were shown by `call`. */
  function refresh(quiet = true): Promise<void> {
    inFlight ??= load(quiet)
      .catch((err) => {
        if (!(err instanceof Handled)) throw err;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  /** Runs an action on the API, then refreshes; resolves to false when it failed (the error is shown). */
  async function act(run: (api: TesseraClient) => Promise<unknown>): Promise<boolean> {
    try {
      await call(run);
    } catch (err) {
      if (err instanceof Handled) return false;
      throw err;
    }
    await refresh();
    return true;
  }

  onMounted(() => {
    void refresh(false);
    timer = setInterval(() => {
      if (!session.unreachable && !document.hidden) void refresh();
    }, REFRESH_MS);
  });
  onBeforeUnmount(() => clearInterval(timer));
  watch(pipelineId, () => {
    state.loaded = false;
    state.schedules = [];
    state.webhooks = [];
    state.webhookRuns = [];
    void refresh(false);
  });
  // The API is back, or a key was accepted.
  watch(() => session.generation, () => void refresh());

  return { state, refresh, act };
}
