/**
 * A run as the editor draws it, built from the API's event stream alone: every node starts pending and
 * each event moves it on (started -> progress -> retrying -> succeeded / failed / cancelled). Replaying a
 * run's events from the first gives the same picture as having watched it live. Pure: no Vue, no DOM.
 */
import type { Usage } from '../../../engine/providers/types.ts';
import type { RunEvent, RunRecord, RunStatus } from '../../../engine/store/types.ts';

/** `skipped`: not in the run at all (a partial run, or only feeding pinned nodes). */
export type NodeRunStatus = 'pending' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'cancelled' | 'skipped';

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
}

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
      if (node.status === 'running' || node.status === 'retrying') {
        view.nodes[id] = { ...node, status: view.status === 'succeeded' ? 'succeeded' : 'cancelled' };
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
  let next: NodeRun;
  switch (event.type) {
    case 'node.started':
      next = { ...before, status: 'running', attempt: before.attempt ?? 1 };
      break;
    case 'node.progress':
      next = { ...before, status: before.status === 'pending' ? 'running' : before.status, progress: data.fraction as number, message: data.message as string | undefined };
      break;
    case 'node.retrying':
      next = { ...before, status: 'retrying', attempt: data.attempt as number, reason: data.reason as string | undefined, progress: undefined };
      break;
    default: {
      const status = event.type.slice('node.'.length) as NodeRunStatus;
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
      };
    }
  }
  view.nodes[nodeId] = next;
  return [nodeId];
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
    if (isTerminalNode(node) || state.status === 'pending' || state.status === 'running') continue;
    const durationMs = state.startedAt && state.endedAt ? Date.parse(state.endedAt) - Date.parse(state.startedAt) : undefined;
    view.nodes[id] = { status: state.status, attempt: state.attempt, durationMs, error: state.error, usage: state.usage, ...(state.cached ? { cached: true } : {}), ...(state.pinned ? { pinned: state.pinned } : {}) };
    changed.push(id);
  }
  // Nodes the finished run never had: it did not need them.
  for (const [id, node] of Object.entries(view.nodes)) {
    if (run.status !== 'running' && node.status === 'pending' && run.nodes && !(id in run.nodes)) {
      view.nodes[id] = { status: 'skipped' };
      changed.push(id);
    }
  }
  return changed;
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
