/**
 * What a finished workflow means for the run index: status, outputs (spilled values restored when small,
 * else kept as references: record-values.ts), usage totals, the coded error (the failing node named),
 * final node states.
 */
import type { WorkflowFailedError } from '@temporalio/client';
import type { BlobStore } from '../../blob/store.ts';
import type { CodedError } from '../../errors.ts';
import { runError } from '../../run/run-error.ts';
import { usageTotals, type NodeState, type RunPipelineResult } from '../../run/plan.ts';
import type { RunRecord, RunStatus } from '../../store/types.ts';
import { recordOutputs } from './record-values.ts';
import { isTerminal } from './node-diff.ts';

export type RunFinal = Required<Pick<RunRecord, 'status' | 'nodes' | 'usage' | 'endedAt'>> & Pick<RunRecord, 'outputs' | 'error'>;

/** `budget`: bytes of outputs the record may inline (what its inputs leave). */
export async function succeededRun(result: RunPipelineResult, blobs: BlobStore, endedAt: string, budget: number): Promise<RunFinal> {
  return { status: 'succeeded', outputs: await recordOutputs(result.outputs, blobs, budget), nodes: result.nodes, usage: usageTotals(result.nodes), endedAt };
}

/**
 * A failed, cancelled, terminated or timed-out workflow. `nodes` are the final states when the query
 * still answers (it needs a worker), else the last known ones; nodes left unfinished are settled from the error.
 */
export function failedRun(err: WorkflowFailedError, known: Record<string, NodeState>, finalNodes: Record<string, NodeState> | undefined, endedAt: string): RunFinal {
  // Terminated from outside (Temporal UI or CLI): a forced stop, closest to a cancellation.
  const terminated = (err.cause as { name?: string } | undefined)?.name === 'TerminatedFailure';
  const error: CodedError = terminated ? { code: 'RUN_CANCELLED', message: `The run was terminated: ${err.message}` } : runError(err);
  const status = statusOf(error);
  // A terminated workflow's last states may still show running nodes: every node ends in a final state.
  const nodes = settleNodes(finalNodes ?? known, error, endedAt);
  return { status, error, nodes, usage: usageTotals(nodes), endedAt };
}

function statusOf(error: CodedError): RunStatus {
  if (error.code === 'RUN_CANCELLED') return 'cancelled';
  if (error.code === 'RUN_TIMED_OUT') return 'timed_out';
  return 'failed';
}

/** The failing node failed, everything else unfinished was cancelled. */
function settleNodes(known: Record<string, NodeState>, error: CodedError, endedAt: string): Record<string, NodeState> {
  const nodes: Record<string, NodeState> = {};
  for (const [nodeId, state] of Object.entries(known)) {
    if (isTerminal(state)) nodes[nodeId] = state;
    else if (nodeId === error.nodeId) nodes[nodeId] = { ...state, status: 'failed', endedAt, error: nodeErrorOf(error) };
    else nodes[nodeId] = { ...state, status: 'cancelled', ...(state.startedAt ? { endedAt } : {}) };
  }
  return nodes;
}

/** The failing node's own code and details, as the workflow's NODE_FAILED failure carries them. */
function nodeErrorOf(error: CodedError): NonNullable<NodeState['error']> {
  const { code, details } = (error.details ?? {}) as { code?: string; details?: unknown };
  return { message: error.message, code, ...(details !== undefined ? { details } : {}) };
}
