/**
 * Turns two snapshots of a run's node states (the workflow's `nodeStatus` query, polled) into the run
 * events between them: started, waiting (an approval or a delay), retrying (a higher attempt), progress
 * of a mapped node's items, then the terminal status (skipped included: a node on a branch path not
 * taken, which never started). Pure.
 */
import type { NodeState } from '../../run/plan.ts';
import type { RunEventType } from '../../store/types.ts';

export interface NodeEvent {
  type: RunEventType;
  nodeId: string;
  data: Record<string, unknown>;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'skipped']);
/** A node in one of these has started (a waiting node started, and waits). */
const STARTED = new Set(['running', 'waiting']);

export function isTerminal(state: NodeState | undefined): boolean {
  return !!state && TERMINAL.has(state.status);
}

/** An approval node waiting for a person's decision (a run with one is `waiting`). */
export function awaitsApproval(state: NodeState | undefined): boolean {
  return state?.status === 'waiting' && !!state.approval && !state.approval.decision;
}
/**
 * The next snapshot with what the query does not carry kept from the previous one: a running node's
 * attempt (learnt from the workflow's pending activities) survives a poll that could not learn it.
 */
export function mergeNodes(prev: Record<string, NodeState>, next: Record<string, NodeState>): Record<string, NodeState> {
  const merged: Record<string, NodeState> = {};
  for (const [nodeId, state] of Object.entries(next)) {
    const before = prev[nodeId];
    // A terminal state is final: a late (stale) snapshot never moves a node back.
    if (isTerminal(before) && !isTerminal(state)) merged[nodeId] = before;
    else if (state.status === 'running' && state.attempt === undefined && before?.attempt !== undefined) merged[nodeId] = { ...state, attempt: before.attempt };
    else merged[nodeId] = state;
  }
  for (const [nodeId, state] of Object.entries(prev)) if (!(nodeId in merged)) merged[nodeId] = state;
  return merged;
}

/** The events that lead from `prev` to `next`, in node order; `reasons` holds the last failure of retried nodes. */
export function diffNodes(prev: Record<string, NodeState>, next: Record<string, NodeState>, reasons: ReadonlyMap<string, string> = new Map()): NodeEvent[] {
  const events: NodeEvent[] = [];
  for (const [nodeId, state] of Object.entries(next)) {
    const before = prev[nodeId] ?? { status: 'pending' };
    if (isTerminal(before)) continue;
    const started = STARTED.has(before.status);
    // Cancelled before it started, or skipped (a path not taken): the node never ran.
    const neverRan = (state.status === 'cancelled' || state.status === 'skipped') && !state.startedAt;
    if (!started && state.status !== 'pending' && !neverRan) {
      events.push({ type: 'node.started', nodeId, data: compact({ nodeId, startedAt: state.startedAt, child: state.child }) });
    }
    if (state.status === 'waiting' && before.status !== 'waiting') {
      events.push({ type: 'node.waiting', nodeId, data: compact({ nodeId, waitingUntil: state.waitingUntil, approval: state.approval }) });
    }
    const attempt = state.attempt ?? 1;
    if (attempt > 1 && attempt > (before.attempt ?? 1)) {
      events.push({ type: 'node.retrying', nodeId, data: compact({ nodeId, attempt, reason: reasons.get(nodeId) }) });
    }
    // A mapped node's progress is counted in items.
    const items = state.items;
    if (items && items.total > 0 && items.done !== (before.items?.done ?? 0)) {
      events.push({ type: 'node.progress', nodeId, data: { nodeId, fraction: items.done / items.total, message: `${items.done} / ${items.total} items`, items } });
    }
    if (isTerminal(state)) {
      const durationMs = state.startedAt && state.endedAt ? Date.parse(state.endedAt) - Date.parse(state.startedAt) : undefined;
      events.push({
        type: `node.${state.status}` as RunEventType,
        nodeId,
        data: compact({
          nodeId, status: state.status, cached: state.cached, pinned: state.pinned, attempt: state.attempt, startedAt: state.startedAt, endedAt: state.endedAt, durationMs, error: state.error, usage: state.usage,
          items: state.items, child: state.child, approval: state.approval,
        }),
      });
    }
  }
  return events;
}

function compact(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined));
}
