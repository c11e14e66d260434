/**
 * A run as the editor draws it, built from the API's event stream alone: every node starts pending and
 * each event moves it on (started -> progress -> retrying / waiting -> succeeded / failed / cancelled /
 * skipped). Replaying a run's events from the first gives the same picture as having watched it live.
 * Pure: no Vue, no DOM.
 */
import type { Usage } from '../../../engine/providers/types.ts';
import type { ApprovalState } from '../../../engine/run/plan.ts';
import type { RunEvent, RunRecord, RunStatus } from '../../../engine/store/types.ts';

/**
 * `waiting`: an approval waits for a person, a delay for its time. `skipped`: on a branch's path not
 * taken (`node.skipped`), or, with `notNeeded`, not in the run at all (a partial run, or only feeding
 * pinned nodes).
 */
export type NodeRunStatus = 'pending' | 'running' | 'retrying' | 'waiting' | 'succeeded' | 'failed' | 'cancelled' | 'skipped';

/** A mapped node's items: how many there are, have finished (succeeded or failed) and failed. */
export interface ItemCounts {
  total: number;
  done: number;
  failed: number;
}

export interface NodeRun {
  status: NodeRunStatus;
  /** The attempt running or that ended the node (1 unless it was retried). */
  attempt?: number;
  /** Why the previous attempt failed, while retrying. */
  reason?: string;
  /** 0..1, as the node reported it. */
  progress?: number;
  message?: string;
  durationMs?: number;
  /** Succeeded with outputs from the output cache: not run, nothing charged. */
  cached?: boolean;
  /** Succeeded with pinned values (not run): true, or the earlier run they came from. */
  pinned?: true | { runId: string; nodeId: string };
  error?: { code?: string; message: string; details?: unknown };
  usage?: Usage[];
  /** Skipped because the run did not need the node (not a branch's path). */
  notNeeded?: true;
  /** Mapped nodes: items so far. */
  items?: ItemCounts;
  /** Waiting nodes: when a delay ends or an approval times out (ISO). */
  waitingUntil?: string;
  /** Approval nodes: the instructions while waiting, then the decision. */
  approval?: ApprovalState;
  /** `pipeline` nodes: the child run. */
  child?: { runId: string; pipelineId: string; version?: number };
}

/** `waiting` is shown while a running run has a node waiting (for a person or a timer). */
export type RunViewStatus = RunStatus | 'waiting';

export interface RunView {
  id: string;
  status: RunStatus;
  nodes: Record<string, NodeRun>;
  /** The last event applied (resume the stream after it). */
  lastSeq: number;
  error?: { code: string; message: string; nodeId?: string };
  endedAt?: string;
}

const TERMINAL = new Set<NodeRunStatus>(['succeeded', 'failed', 'cancelled', 'skipped']);

export function isTerminalNode(node: NodeRun | undefined): boolean {
  return !!node && TERMINAL.has(node.status);
}

/** A run nothing has been heard of yet: every node of its pipeline pending. */
export function emptyRun(id: string, nodeIds: string[]): RunView {
  return { id, status: 'running', nodes: Object.fromEntries(nodeIds.map((n) => [n, { status: 'pending' }])), lastSeq: 0 };
}

/** Applies one event; returns the ids of the nodes whose drawing changed (and '' when the run itself did). */
export function applyEvent(view: RunView, event: RunEvent): string[] {
  if (event.seq <= view.lastSeq) return [];
  view.lastSeq = event.seq;
  const data = event.data as Record<string, unknown>;
  if (event.type === 'run.finished') {
    view.status = data.status as RunStatus;
    view.endedAt = data.endedAt as string | undefined;
    if (data.error) view.error = data.error as RunView['error'];
    // Nodes the run never reached stay pending in the events; the run's end makes them final.
    const changed: string[] = [''];
    for (const [id, node] of Object.entries(view.nodes)) {
      if (node.status === 'running' || node.status === 'retrying' || node.status === 'waiting') {
        view.nodes[id] = { ...node, status: view.status === 'succeeded' && node.status !== 'waiting' ? 'succeeded' : 'cancelled' };
        changed.push(id);
      }
    }
    return changed;
  }
  const nodeId = data.nodeId as string | undefined;
  if (!nodeId) return [];
  const before = view.nodes[nodeId] ?? { status: 'pending' };
  // A final state is final: a late event never moves a node back.
  if (isTerminalNode(before)) return [];
  const type = event.type as string;
  let next: NodeRun;
  switch (type) {
    case 'node.started':
      next = { ...before, status: 'running', attempt: before.attempt ?? 1, waitingUntil: undefined };
      break;
    case 'node.progress': {
      const items = itemsOf(data.items) ?? before.items;
      const fraction = typeof data.fraction === 'number' ? data.fraction : items && items.total > 0 ? items.done / items.total : before.progress;
      const status = before.status === 'pending' || before.status === 'waiting' ? 'running' : before.status;
      next = { ...before, status, progress: fraction, message: (data.message as string | undefined) ?? before.message, ...(items ? { items } : {}) };
      break;
    }
    case 'node.retrying':
      next = { ...before, status: 'retrying', attempt: data.attempt as number, reason: data.reason as string | undefined, progress: undefined };
      break;
    case 'node.waiting':
      next = { ...before, status: 'waiting', progress: undefined, waitingUntil: data.waitingUntil as string | undefined, ...extras(data) };
      break;
    case 'node.skipped':
      next = { status: 'skipped' };
      break;
    default: {
      const status = type.slice('node.'.length) as NodeRunStatus;
      next = {
        ...before,
        status,
        attempt: (data.attempt as number | undefined) ?? before.attempt,
        durationMs: data.durationMs as number | undefined,
        ...(data.cached === true ? { cached: true } : {}),
        ...(data.pinned ? { pinned: data.pinned as NodeRun['pinned'] } : {}),
        error: data.error as NodeRun['error'],
        usage: data.usage as Usage[] | undefined,
        progress: status === 'succeeded' ? 1 : before.progress,
        waitingUntil: undefined,
        ...extras(data),
      };
    }
  }
  view.nodes[nodeId] = next;
  return [nodeId];
}

/** The optional fields a node event or state may carry (items, approval, child run). */
function extras(data: Record<string, unknown>): Partial<NodeRun> {
  const out: Partial<NodeRun> = {};
  const items = itemsOf(data.items);
  if (items) out.items = items;
  if (data.approval && typeof data.approval === 'object') out.approval = data.approval as ApprovalState;
  const child = data.child as NodeRun['child'] | undefined;
  if (child && typeof child.runId === 'string') out.child = child;
  return out;
}

function itemsOf(value: unknown): ItemCounts | undefined {
  const items = value as Partial<ItemCounts> | undefined;
  if (!items || typeof items !== 'object' || typeof items.total !== 'number') return undefined;
  return { total: items.total, done: items.done ?? 0, failed: items.failed ?? 0 };
}

/**
 * When a run is opened: what its record knows beyond the events (items counted so far, the child run,
 * the approval's instructions, a waiting node's end), so a node shows them before the next event.
 * Statuses are left to the events.
 */
export function seedFromRecord(view: RunView, run: RunRecord): void {
  for (const [id, state] of Object.entries(run.nodes ?? {})) {
    const node = view.nodes[id];
    if (!node) continue;
    view.nodes[id] = { ...node, ...extras(state as unknown as Record<string, unknown>), ...(state.waitingUntil ? { waitingUntil: state.waitingUntil } : {}) };
  }
}

/**
 * After the stream ended: the run record has the final word for nodes whose end no event told (a run
 * followed by no tracker, say). Returns the ids that changed.
 */
export function settleFromRecord(view: RunView, run: RunRecord): string[] {
  const changed: string[] = [];
  view.status = run.status;
  view.error = run.error ? { code: run.error.code, message: run.error.message, nodeId: run.error.nodeId } : view.error;
  view.endedAt = run.endedAt ?? view.endedAt;
  for (const [id, state] of Object.entries(run.nodes ?? {})) {
    const node = view.nodes[id];
    const more = extras(state as unknown as Record<string, unknown>);
    if (isTerminalNode(node) || state.status === 'pending' || state.status === 'running' || state.status === 'waiting') {
      // The final counts (and decision) are the record's even when an event already ended the node.
      if (node && Object.keys(more).length && JSON.stringify(more) !== JSON.stringify({ items: node.items, approval: node.approval, child: node.child })) {
        view.nodes[id] = { ...node, ...more };
        changed.push(id);
      }
      continue;
    }
    const durationMs = state.startedAt && state.endedAt ? Date.parse(state.endedAt) - Date.parse(state.startedAt) : undefined;
    view.nodes[id] = { status: state.status, attempt: state.attempt, durationMs, error: state.error, usage: state.usage, ...(state.cached ? { cached: true } : {}), ...(state.pinned ? { pinned: state.pinned } : {}), ...more };
    changed.push(id);
  }
  // Nodes the finished run never had: it did not need them.
  for (const [id, node] of Object.entries(view.nodes)) {
    if (run.status !== 'running' && node.status === 'pending' && run.nodes && !(id in run.nodes)) {
      view.nodes[id] = { status: 'skipped', notNeeded: true };
      changed.push(id);
    }
  }
  return changed;
}

/** The run's status as shown: `waiting` while it runs with a node waiting for a person or a timer. */
export function shownRunStatus(view: RunView | undefined, record?: RunRecord): RunViewStatus | undefined {
  const status = (view?.status ?? record?.status) as RunViewStatus | undefined;
  if (status === 'running' && view && Object.values(view.nodes).some((n) => n.status === 'waiting')) return 'waiting';
  return status;
}

/** The approval nodes waiting for a decision, in the order given (the document's). */
export function waitingApprovals(view: RunView | undefined, approvalIds: string[]): string[] {
  if (!view) return [];
  return approvalIds.filter((id) => view.nodes[id]?.status === 'waiting');
}

/**
 * The child run of a `pipeline` node: as its state says, else as the workflow names it
 * (`<parent run>.<node id>`) with the pipeline its params name. Undefined before it started.
 */
export function childRunOf(runId: string, nodeId: string, params: Record<string, unknown> | undefined, node: NodeRun | undefined): NodeRun['child'] | undefined {
  if (node?.child) return node.child;
  if (!node || node.status === 'pending' || node.status === 'skipped' || typeof params?.pipeline !== 'string') return undefined;
  return { runId: `${runId}.${nodeId}`, pipelineId: params.pipeline, ...(typeof params.version === 'number' ? { version: params.version } : {}) };
}

/** A mapped node's counts as the canvas shows them: "7 / 12", and "2 failed". */
export function itemsLabel(items: ItemCounts | undefined): { progress: string; failed?: string } | undefined {
  if (!items) return undefined;
  return { progress: `${items.done} / ${items.total}`, ...(items.failed ? { failed: `${items.failed} failed` } : {}) };
}

/** "in 4 min 10 s", "in 12 s", or the time when it is more than a day away; '' when past or unknown. */
export function untilLabel(until: string | undefined, now = Date.now()): string {
  const at = until ? Date.parse(until) : NaN;
  if (!Number.isFinite(at)) return '';
  const ms = at - now;
  if (ms <= 0) return 'any moment';
  if (ms > 86_400_000) return `until ${new Date(at).toLocaleString()}`;
  if (ms < 1000) return 'in under a second';
  return `in ${formatDuration(ms).replace(/\.\d s$/, ' s')}`;
}

/** What a run cost, per node and in total (nodes without a priced call are left out). */
export function costs(view: RunView): { perNode: { nodeId: string; usd: number; calls: number }[]; totalUsd: number } {
  const perNode = Object.entries(view.nodes)
    .map(([nodeId, node]) => ({ nodeId, calls: node.usage?.length ?? 0, usd: (node.usage ?? []).reduce((sum, u) => sum + (u.costUsd ?? 0), 0) }))
    .filter((n) => n.calls > 0);
  return { perNode, totalUsd: perNode.reduce((sum, n) => sum + n.usd, 0) };
}

/** "1.2 s", "850 ms", "2 min 5 s". */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
