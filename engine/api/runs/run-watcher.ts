/**
 * Follows one run for the tracker: polls the workflow's node states while it runs and records each
 * change (store `nodes` + node events), stores progress reports (throttled per node), and when the
 * workflow closes records the outcome and appends `run.finished`, always the run's last event.
 * While a node waits for a person's approval (here or in a child run) the run's status is `waiting`.
 * A sub-pipeline node's child run (`child.runId`) is put in the index (trigger `pipeline`, the parent
 * run's id) before the parent's events name it, and followed like any other run.
 * Every store write goes through one queue, so events are appended in the order they happened, and each
 * change (events plus the run's new state) is one transaction fenced by this process's lease on the run
 * (store.recordRunChange): a watcher whose run was taken over by another API process writes nothing more
 * and stops, so no event is recorded twice or lost.
 */
import type { Usage } from '../../providers/types.ts';
import type { NodeState } from '../../run/plan.ts';
import { usageTotals } from '../../run/plan.ts';
import type { RunEvent, RunRecord, RunStatus } from '../../store/types.ts';
import type { ProgressEvent } from '../../worker/activities.ts';
import type { ApiDeps } from '../deps.ts';
import { awaitsApproval, diffNodes, isTerminal, mergeNodes, type NodeEvent } from './node-diff.ts';
import { outputBudget } from './record-values.ts';
import { failedRun, succeededRun, type RunFinal } from './run-outcome.ts';
import { abortableSleep, WorkflowProbe, type WorkflowEnd } from './workflow-probe.ts';

/** What following a run needs from the API's dependencies. */
export type TrackerDeps = Pick<ApiDeps, 'store' | 'client' | 'blobs' | 'registry' | 'metrics' | 'log'>;

export interface WatcherOptions {
  /** Node-state poll interval while the run is active. */
  pollMs: number;
  /** At most one progress event per node per this many milliseconds (the final 100% always passes). */
  progressMs: number;
}

const FINAL_QUERY_TIMEOUT_MS = 20_000;

export class RunWatcher {
  private known: Record<string, NodeState>;
  private queue: Promise<void> = Promise.resolve();
  private readonly progressAt = new Map<string, number>();
  private readonly taskTypes = new Map<string, string>();
  private closed = false;
  private wake?: () => void;
  private status: RunStatus;
  /** Child runs already in the index (and followed). */
  private readonly children = new Set<string>();
  private readonly refreshed: (() => void)[] = [];
  /** Aborted when the tracker stops or this process lost its lease on the run. */
  private readonly stopping = new AbortController();
  private readonly signal: AbortSignal;
  /** Another process holds the run's lease now: this watcher stopped writing. */
  lost = false;

  constructor(
    private readonly deps: TrackerDeps,
    private readonly run: RunRecord,
    private readonly trackerSignal: AbortSignal,
    private readonly publish: (event: RunEvent) => void,
    private readonly options: WatcherOptions,
    /** Follows another run of the index (a child run this one started). */
    private readonly follow: (runId: string) => void = () => {},
    /** This process's name on the run's lease (store.claimRun). */
    private readonly owner = 'local',
  ) {
    this.known = run.nodes ?? {};
    this.status = run.status;
    this.signal = AbortSignal.any([trackerSignal, this.stopping.signal]);
  }

  /** Stops at once, writing nothing more (the lease was lost). */
  lose(): void {
    this.lost = true;
    this.closed = true;
    this.stopping.abort();
    this.wake?.();
  }

  async watch(): Promise<void> {
    await this.loadTaskTypes();
    const probe = new WorkflowProbe(this.deps.client, this.run.id, this.signal, this.trackerSignal);
    let ended = false;
    const end = probe.end().finally(() => {
      ended = true;
      this.wake?.();
    });
    while (!ended && !this.signal.aborted && !this.lost) {
      // Refreshes asked for before this poll began are answered by it (a poll under way may predate them).
      const refreshed = this.refreshed.splice(0);
      await this.poll(probe);
      for (const resolve of refreshed) resolve();
      if (!ended) await this.pause(this.options.pollMs);
    }
    if (this.lost) return void end.catch(() => undefined);
    const outcome = await end;
    if (outcome.kind !== 'stopped' && !this.lost) await this.finish(probe, outcome);
    await this.queue;
    for (const resolve of this.refreshed.splice(0)) resolve();
  }

  /** Polls at once instead of at the next interval; resolves once that poll is recorded (or the run is no longer followed). */
  refresh(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const polled = new Promise<void>((resolve) => this.refreshed.push(resolve));
    this.wake?.();
    return polled;
  }

  /** A progress report from an in-process worker. Reports before the node is known to run are dropped (and trigger a poll). */
  progress(event: ProgressEvent): void {
    if (this.closed) return;
    if (this.known[event.nodeId]?.status !== 'running') return this.wake?.();
    const now = Date.now();
    if (event.fraction < 1 && now - (this.progressAt.get(event.nodeId) ?? 0) < this.options.progressMs) return;
    this.progressAt.set(event.nodeId, now);
    const data = { nodeId: event.nodeId, fraction: event.fraction, ...(event.message ? { message: event.message } : {}) };
    void this.serial(async () => {
      if (!this.closed && this.known[event.nodeId]?.status === 'running') await this.commit({}, [{ type: 'node.progress', nodeId: event.nodeId, data }]);
    });
  }

  private async poll(probe: WorkflowProbe): Promise<void> {
    const states = await probe.nodes();
    if (!states || this.signal.aborted) return;
    const reasons = new Map<string, string>();
    if (Object.values(states).some((s) => s.status === 'running')) {
      for (const [nodeId, pending] of await probe.attempts()) {
        if (states[nodeId]?.status !== 'running') continue;
        states[nodeId] = { ...states[nodeId], attempt: pending.attempt };
        if (pending.reason) reasons.set(nodeId, pending.reason);
      }
    }
    await this.serial(async () => {
      if (this.closed) return;
      const next = mergeNodes(this.known, states);
      await this.recordChildren(next);
      const status = await this.activeStatus(next);
      const changed = JSON.stringify(next) !== JSON.stringify(this.known);
      if (!changed && status === this.status) return;
      if (changed) await this.recordOutputs(probe, this.known, next);
      if (!(await this.commit({ nodes: next, status }, changed ? diffNodes(this.known, next, reasons) : []))) return;
      this.known = next;
      this.status = status;
    });
  }

  private async finish(probe: WorkflowProbe, outcome: Exclude<WorkflowEnd, { kind: 'stopped' }>): Promise<void> {
    const endedAt = (await probe.closeTime()) ?? new Date().toISOString();
    const final = await this.outcome(probe, outcome, endedAt);
    await this.serial(async () => {
      if (this.closed) return;
      const nodes = mergeNodes(this.known, final.nodes);
      await this.recordChildren(nodes);
      await this.recordOutputs(probe, this.known, nodes);
      const finished = { type: 'run.finished' as const, nodeId: '', data: { status: final.status, endedAt: final.endedAt, usage: final.usage, ...(final.error ? { error: final.error } : {}) } };
      if (!(await this.commit({ ...final, nodes }, [...diffNodes(this.known, nodes), finished]))) return;
      this.known = nodes;
      this.closed = true;
      this.deps.metrics.runsFinished.inc({ status: final.status });
    });
  }

  private async outcome(probe: WorkflowProbe, outcome: Exclude<WorkflowEnd, { kind: 'stopped' }>, endedAt: string): Promise<RunFinal> {
    if (outcome.kind === 'succeeded') {
      try {
        return await succeededRun(outcome.result, this.deps.blobs, endedAt, outputBudget(this.run.inputs ?? {}));
      } catch (err) {
        // The outputs stay references, which clients can still download.
        this.deps.log.error({ err, runId: this.run.id }, 'could not restore spilled outputs');
        const nodes = outcome.result.nodes;
        return { status: 'succeeded', outputs: outcome.result.outputs, nodes, usage: usageTotals(nodes), endedAt };
      }
    }
    // The final states are read once and kept: give a loaded worker (it replays the closed workflow to
    // answer) longer than a poll's query, so a failed run's nodes say exactly how they ended.
    if (outcome.kind === 'failed') return failedRun(outcome.error, this.known, await probe.finalNodes(FINAL_QUERY_TIMEOUT_MS), endedAt);
    const message = 'The run\'s workflow does not exist in Temporal: it was never started, or it was deleted.';
    return { status: 'failed', error: { code: 'INTERNAL', message }, nodes: this.known, usage: usageTotals(this.known), endedAt };
  }

  /**
   * Stores what newly succeeded nodes produced, before their `node.succeeded` events are appended, so a
   * client reacting to the event finds the outputs. A query no worker answers leaves them unrecorded:
   * GET /runs/:id/nodes/:nodeId/outputs then asks the workflow itself.
   */
  private async recordOutputs(probe: WorkflowProbe, before: Record<string, NodeState>, after: Record<string, NodeState>): Promise<void> {
    const succeeded = Object.keys(after).filter((id) => after[id].status === 'succeeded' && before[id]?.status !== 'succeeded');
    if (!succeeded.length) return;
    const outputs = await probe.outputs(succeeded);
    if (outputs && Object.keys(outputs).length) await this.deps.store.saveNodeOutputs(this.run.id, outputs);
  }

  /**
   * `waiting` while a node waits for a person's approval, here or in a child run still going; else `running`.
   * (A delay's wait is not a person's: the run is `running`.)
   */
  private async activeStatus(nodes: Record<string, NodeState>): Promise<RunStatus> {
    const states = Object.values(nodes);
    if (states.some(awaitsApproval)) return 'waiting';
    for (const state of states) {
      if (state.child && !isTerminal(state) && (await this.deps.store.getRun(state.child.runId))?.status === 'waiting') return 'waiting';
    }
    return 'running';
  }

  /**
   * Puts the child runs of sub-pipeline nodes in the index (once; a record already there is kept) and
   * follows them. Done before the events that name them are appended, so a client that reads one finds
   * the child run.
   */
  private async recordChildren(nodes: Record<string, NodeState>): Promise<void> {
    for (const state of Object.values(nodes)) {
      const child = state.child;
      if (!child || this.children.has(child.runId)) continue;
      if (!(await this.deps.store.getRun(child.runId))) {
        const version = await this.deps.store.getVersion(child.pipelineId, child.version).catch(() => undefined);
        const started = await new WorkflowProbe(this.deps.client, child.runId, this.signal, this.trackerSignal).startInput();
        const run: RunRecord = {
          id: child.runId,
          pipelineId: child.pipelineId,
          pipelineVersion: child.version,
          pipelineName: version?.document.name ?? started?.plan.pipelineName ?? child.pipelineId,
          status: 'running',
          trigger: { type: 'pipeline', id: this.run.id },
          // What the child workflow got (large values as $spilled references); empty when it has not started yet.
          inputs: started?.inputs ?? {},
          nodes: {},
          startedAt: state.startedAt ?? new Date().toISOString(),
        };
        try {
          await this.deps.store.insertRun(run);
          this.deps.metrics.runsStarted.inc({ trigger: 'pipeline' });
        } catch (err) {
          if (!(await this.deps.store.getRun(child.runId))) throw err; // else another API process recorded it first
        }
      }
      this.children.add(child.runId);
      this.follow(child.runId);
    }
  }

  /**
   * Records events and the run's new state in one transaction while this process holds the run's lease;
   * false (and the watcher stops) when another process took the run over.
   */
  private async commit(patch: Partial<Omit<RunRecord, 'id'>>, events: NodeEvent[]): Promise<boolean> {
    const appended = await this.deps.store.recordRunChange(this.run.id, this.owner, patch, events.map(({ type, data }) => ({ type, data })));
    if (!appended) {
      this.deps.log.info({ runId: this.run.id }, 'another API process follows this run now');
      this.lose();
      return false;
    }
    for (const event of appended) this.publish(event);
    this.observe(events);
    return true;
  }

  /** Observes the duration of every task node that finished, and counts provider calls. */
  private observe(events: NodeEvent[]): void {
    for (const event of events) {
      const type = this.taskTypes.get(event.nodeId);
      const durationMs = event.data.durationMs;
      if (type && typeof durationMs === 'number' && isTerminal({ status: event.data.status } as NodeState)) {
        this.deps.metrics.nodeDuration.observe({ type, status: String(event.data.status) }, durationMs / 1000);
      }
      // A node's final state lists one usage entry per provider call it made (whichever worker made them).
      if (event.type === 'run.finished') continue;
      for (const usage of (event.data.usage as Usage[] | undefined) ?? []) {
        this.deps.metrics.providerCalls.inc({ provider: usage.provider, model: usage.model ?? '' });
      }
    }
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(fn).catch((err: unknown) => this.deps.log.error({ err, runId: this.run.id }, 'run tracking failed'));
    return this.queue;
  }

  private async pause(ms: number): Promise<void> {
    const woken = new Promise<void>((resolve) => (this.wake = resolve));
    await Promise.race([abortableSleep(ms, this.signal), woken]);
    this.wake = undefined;
  }

  private async loadTaskTypes(): Promise<void> {
    const version = await this.deps.store.getVersion(this.run.pipelineId, this.run.pipelineVersion).catch(() => undefined);
    for (const node of version?.document.nodes ?? []) {
      if (this.deps.registry.get(node.type, node.version)?.role === 'task') this.taskTypes.set(node.id, node.type);
    }
  }
}
