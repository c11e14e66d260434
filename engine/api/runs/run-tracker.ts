/**
 * Keeps the run index current. The API answers from the store, so it stays responsive while workers
 * restart; the tracker writes the store from Temporal: one RunWatcher per active run (node states,
 * progress, outcome), re-attached at start-up to every run the index still has as running, so runs
 * started before an API restart are followed to their end. Listeners (SSE streams) hear every event
 * the moment it is stored.
 */
import { setMaxListeners } from 'node:events';
import { isActiveRun, type RunEvent, type RunRecord } from '../../store/types.ts';
import type { ProgressEvent } from '../../worker/activities.ts';
import { RunWatcher, type TrackerDeps, type WatcherOptions } from './run-watcher.ts';
import { settledCalls } from './workflow-probe.ts';

export type RunEventListener = (event: RunEvent) => void;

interface TrackerOptions extends WatcherOptions {
  /** How often the index is scanned for running records nobody follows yet. */
  adoptMs: number;
}

interface Following {
  watcher?: RunWatcher;
  done: Promise<void>;
}

export class RunTracker {
  private readonly following = new Map<string, Following>();
  private readonly listeners = new Map<string, Set<RunEventListener>>();
  private readonly abort = new AbortController();
  private readonly options: TrackerOptions;
  private stopped = false;
  private adoption?: NodeJS.Timeout;

  constructor(
    private readonly deps: TrackerDeps,
    options: Partial<TrackerOptions> = {},
  ) {
    this.options = { pollMs: options.pollMs ?? 500, progressMs: options.progressMs ?? 250, adoptMs: options.adoptMs ?? 1000 };
    // Every watcher and each of its Temporal calls listen to this one signal.
    setMaxListeners(0, this.abort.signal);
  }

  /**
   * Follows every run the index has as running (started before this process, or by another one), then
   * keeps looking for runs a local `tessera run` on the same data folder records (trigger `cli`): no API
   * follows those otherwise. Runs of other triggers are followed by the API process that started them.
   */
  async start(): Promise<void> {
    await this.adopt(() => true);
    const scan = () => {
      this.adoption = setTimeout(() => void this.adopt((run) => run.trigger.type === 'cli').finally(() => !this.stopped && scan()), this.options.adoptMs);
      this.adoption.unref();
    };
    scan();
  }

  private async adopt(which: (run: RunRecord) => boolean): Promise<void> {
    if (this.stopped) return;
    try {
      for (const run of await this.deps.store.activeRuns()) if (which(run) && !this.following.has(run.id)) this.attach(run.id, async () => run);
    } catch (err) {
      this.deps.log.warn({ err }, 'could not list the active runs');
    }
  }

  /** Follows a run of the index until it finishes; a no-op when it is already followed. */
  follow(runId: string): void {
    this.attach(runId, () => this.deps.store.getRun(runId));
  }

  isFollowing(runId: string): boolean {
    return this.following.has(runId);
  }

  /** Polls the run now (something changed it: a decision on an approval); resolves once that is recorded, at most `timeoutMs` later. */
  async refresh(runId: string, timeoutMs = 5_000): Promise<void> {
    const watcher = this.following.get(runId)?.watcher;
    if (!watcher) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([watcher.refresh(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  /** Progress reports of an in-process worker become throttled `node.progress` events. */
  onProgress(event: ProgressEvent): void {
    this.following.get(event.runId)?.watcher?.progress(event);
  }

  /** Calls `listener` with every event stored for the run from now on; returns the unsubscribe function. */
  subscribe(runId: string, listener: RunEventListener): () => void {
    let set = this.listeners.get(runId);
    if (!set) this.listeners.set(runId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(runId) === set) this.listeners.delete(runId);
    };
  }

  /** Stops following (in-flight store writes complete first); runs keep going in Temporal. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.adoption);
    this.abort.abort();
    await Promise.allSettled([...this.following.values()].map((f) => f.done));
    // The watchers returned on the abort; their cancelled gRPC calls end just after. Wait for them, so the
    // connection is not closed under a call the client would then retry on a closed channel.
    await settledCalls(this.abort.signal);
    this.listeners.clear();
  }

  private attach(runId: string, load: () => Promise<RunRecord | undefined>): void {
    if (this.stopped || this.following.has(runId)) return;
    const entry: Following = { done: Promise.resolve() };
    this.following.set(runId, entry);
    entry.done = (async () => {
      const run = await load();
      if (!run || !isActiveRun(run.status) || this.abort.signal.aborted) return;
      entry.watcher = new RunWatcher(this.deps, run, this.abort.signal, (event) => this.emit(event), this.options, (childId) => this.follow(childId));
      await entry.watcher.watch();
    })()
      .catch((err: unknown) => this.deps.log.error({ err, runId }, 'run tracking stopped'))
      .finally(() => this.following.delete(runId));
  }

  private emit(event: RunEvent): void {
    for (const listener of [...(this.listeners.get(event.runId) ?? [])]) {
      try {
        listener(event);
      } catch (err) {
        this.deps.log.warn({ err, runId: event.runId }, 'run event listener failed');
      }
    }
  }
}
