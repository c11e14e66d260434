/**
 * Keeps the run index current. The API answers from the store, so it stays responsive while workers
 * restart; the tracker writes the store from Temporal: one RunWatcher per active run (node states,
 * progress, outcome). Several API processes may share one store: each active run is followed by exactly
 * one of them, the holder of the run's lease in the store (claimed before following, renewed while
 * following, released at the end). Every process keeps adopting the active runs nobody holds, so runs
 * started before a restart, by the CLI, or by a process that died are followed to their end. Listeners
 * (SSE streams) hear every event the moment this process stores it; events another process stores reach
 * them through `onStored` (PostgreSQL notifications) or the stream's own reads.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { isActiveRun, type RunEvent, type RunRecord } from '../../store/types.ts';
import type { ProgressEvent } from '../../worker/activities.ts';
import { RunWatcher, type TrackerDeps, type WatcherOptions } from './run-watcher.ts';
import { settledCalls } from './workflow-probe.ts';

export type RunEventListener = (event: RunEvent) => void;

interface TrackerOptions extends WatcherOptions {
  /** How often the index is scanned for running records nobody follows yet. */
  adoptMs: number;
  /** How long a follower's lease on a run lasts unless renewed (renewed every third of it). */
  leaseMs: number;
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
  private renewal?: NodeJS.Timeout;
  /** This process's name on the leases it holds. */
  readonly owner = randomUUID();
  private readonly storedListeners = new Map<string, Set<() => void>>();
  private stopListening?: () => Promise<void>;

  constructor(
    private readonly deps: TrackerDeps,
    options: Partial<TrackerOptions> = {},
  ) {
    this.options = { pollMs: options.pollMs ?? 500, progressMs: options.progressMs ?? 250, adoptMs: options.adoptMs ?? 1000, leaseMs: options.leaseMs ?? 15_000 };
    // Every watcher and each of its Temporal calls listen to this one signal.
    setMaxListeners(0, this.abort.signal);
  }

  /**
   * Follows every active run of the index nobody else follows, and keeps looking for more: runs recorded
   * by a local `tessera run` on the same store, and runs whose follower (another API process) died.
   */
  async start(): Promise<void> {
    if (this.deps.store.listenRunEvents) {
      try {
        this.stopListening = await this.deps.store.listenRunEvents((runId) => this.storedElsewhere(runId));
      } catch (err) {
        this.deps.log.warn({ err }, 'could not listen for run events; streams of runs other processes follow poll the store');
      }
    }
    await this.adopt();
    const scan = () => {
      this.adoption = setTimeout(() => void this.adopt().finally(() => !this.stopped && scan()), this.options.adoptMs);
      this.adoption.unref();
    };
    scan();
    const renew = () => {
      this.renewal = setTimeout(() => void this.renew().finally(() => !this.stopped && renew()), this.options.leaseMs / 3);
      this.renewal.unref();
    };
    renew();
  }

  private async adopt(): Promise<void> {
    if (this.stopped) return;
    try {
      for (const run of await this.deps.store.unfollowedRuns()) if (!this.following.has(run.id)) this.attach(run.id, async () => run);
    } catch (err) {
      this.deps.log.warn({ err }, 'could not list the active runs');
    }
  }

  /** Renews the leases of the runs followed here; a run another process took over is let go. */
  private async renew(): Promise<void> {
    const followed = [...this.following.keys()];
    if (this.stopped || followed.length === 0) return;
    try {
      const held = new Set(await this.deps.store.renewRuns(this.owner, followed, this.options.leaseMs));
      for (const runId of followed) if (!held.has(runId)) this.following.get(runId)?.watcher?.lose();
    } catch (err) {
      this.deps.log.warn({ err }, 'could not renew the leases of followed runs');
    }
  }

  /** Calls `listener` when another process stores an event of the run (only where the store can tell). */
  onStored(runId: string, listener: () => void): () => void {
    let set = this.storedListeners.get(runId);
    if (!set) this.storedListeners.set(runId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.storedListeners.get(runId) === set) this.storedListeners.delete(runId);
    };
  }

  private storedElsewhere(runId: string): void {
    if (this.following.get(runId)?.watcher) return; // stored here: the listeners heard it already
    for (const listener of [...(this.storedListeners.get(runId) ?? [])]) listener();
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

  /** Stops following (in-flight store writes complete first, leases are released); runs keep going in Temporal. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.adoption);
    clearTimeout(this.renewal);
    this.abort.abort();
    await Promise.allSettled([...this.following.values()].map((f) => f.done));
    await this.stopListening?.();
    // The watchers returned on the abort; their cancelled gRPC calls end just after. Wait for them, so the
    // connection is not closed under a call the client would then retry on a closed channel.
    await settledCalls(this.abort.signal);
    this.listeners.clear();
  }

  private attach(runId: string, load: () => Promise<RunRecord | undefined>): void {
    if (this.stopped || this.following.has(runId)) return;
    const entry: Following = { done: Promise.resolve() };
    this.following.set(runId, entry);
    let claimed = false;
    entry.done = (async () => {
      const run = await load();
      if (!run || !isActiveRun(run.status) || this.abort.signal.aborted) return;
      // Another API process follows it (its lease is current): leave it to that one.
      if (!(claimed = await this.deps.store.claimRun(runId, this.owner, this.options.leaseMs))) return;
      // The record as it is now that the run is ours (the previous follower may have written since `load`).
      const current = (await this.deps.store.getRun(runId)) ?? run;
      if (!isActiveRun(current.status)) return;
      entry.watcher = new RunWatcher(this.deps, current, this.abort.signal, (event) => this.emit(event), this.options, (childId) => this.follow(childId), this.owner);
      await entry.watcher.watch();
    })()
      .catch((err: unknown) => this.deps.log.error({ err, runId }, 'run tracking stopped'))
      .finally(async () => {
        this.following.delete(runId);
        // Let go at once (finished, or this process is stopping) so another process can adopt it without waiting.
        if (claimed && !entry.watcher?.lost) await this.deps.store.releaseRun(runId, this.owner).catch(() => undefined);
      });
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
