/**
 * Turns two snapshots of a run's node states (the workflow's `nodeStatus` query, polled) into the run
 * events between them: started, retrying (a higher attempt), then the terminal status. Pure.
 */
import type { NodeState } from '../../run/plan.ts';
import type { RunEventType } from '../../store/types.ts';

export interface NodeEvent {
  type: RunEventType;
  nodeId: string;
  data: Record<string, unknown>;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

export function isTerminal(state: NodeState | undefined): boolean {
  return !!state && TERMINAL.has(state.status);
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
    const started = before.status === 'running';
    if (!started && state.status !== 'pending' && !(state.status === 'cancelled' && !state.startedAt)) {
      events.push({ type: 'node.started', nodeId, data: compact({ nodeId, startedAt: state.startedAt }) });
    }
    const attempt = state.attempt ?? 1;
    if (attempt > 1 && attempt > (before.attempt ?? 1)) {
      events.push({ type: 'node.retrying', nodeId, data: compact({ nodeId, attempt, reason: reasons.get(nodeId) }) });
    }
    if (isTerminal(state)) {
      const durationMs = state.startedAt && state.endedAt ? Date.parse(state.endedAt) - Date.parse(state.startedAt) : undefined;
      events.push({
        type: `node.${state.status}` as RunEventType,
        nodeId,
        data: compact({ nodeId, status: state.status, cached: state.cached, pinned: state.pinned, attempt: state.attempt, startedAt: state.startedAt, endedAt: state.endedAt, durationMs, error: state.error, usage: state.usage }),
      });
    }
  }
  return events;
}

function compact(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined));
}
