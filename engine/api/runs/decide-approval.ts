/**
 * Deciding a waiting approval node: the workflow's `decideApproval` update (workflows/contract.ts), sent by
 * the API (POST /runs/:id/nodes/:nodeId/approve and reject) and by the local `tessera approve` / `tessera
 * reject`. The update's validator refuses a decision that does not apply, before anything is written to
 * the run's history; its refusals, and a workflow that is gone or that no worker runs, become coded errors.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import { TesseraError } from '../../errors.ts';
import { decideApprovalUpdate, type ApprovalAnswer, type ApprovalDecision } from '../../../workflows/contract.ts';

/** How long a decision waits for a worker to run the workflow's update. */
export const DECISION_TIMEOUT_MS = 30_000;

export async function decideApproval(client: Client, runId: string, decision: ApprovalDecision, timeoutMs = DECISION_TIMEOUT_MS): Promise<ApprovalAnswer> {
  const handle = client.workflow.getHandle(runId);
  try {
    return await client.withDeadline(Date.now() + timeoutMs, () => handle.executeUpdate(decideApprovalUpdate, { args: [decision] }));
  } catch (err) {
    throw decisionError(err, runId, decision.nodeId, timeoutMs);
  }
}

function decisionError(err: unknown, runId: string, nodeId: string, timeoutMs: number): unknown {
  const where = { runId, nodeId };
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause as { type?: string; message?: string } | undefined;
    const type = refusalType(cause);
    if (type === 'APPROVAL_VALUE_INVALID') return new TesseraError('APPROVAL_VALUE_INVALID', cause?.message ?? 'The decision\'s value does not fit the node.', { nodeId, details: where });
    // NODE_NOT_WAITING from the validator; a run without approval nodes has no handler for the update at all.
    const message = type === 'NODE_NOT_WAITING' && cause?.message ? cause.message : `Node "${nodeId}" of run "${runId}" is not an approval waiting for a decision.`;
    return new TesseraError('NODE_NOT_WAITING', message, { nodeId, details: where });
  }
  if (err instanceof WorkflowNotFoundError) {
    return new TesseraError('NODE_NOT_WAITING', `Run "${runId}" has finished (or does not exist in Temporal): node "${nodeId}" can no longer be decided.`, { nodeId, details: where });
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isDeadline(err)) {
    return new TesseraError('RUN_NOT_RESPONDING', `No worker took the decision for run "${runId}" within ${Math.round(timeoutMs / 1000)} s: is a worker running for its task queue? Check node "${nodeId}" and decide again if it still waits.`, { nodeId, details: where });
  }
  return err;
}

/**
 * The validator's refusal code: the failure's type, or (for an Error whose `name` carried the code, which the
 * SDK turns into a failure typed after its constructor, "Error") the refusal its message states.
 */
function refusalType(cause: { type?: string; message?: string } | undefined): string | undefined {
  if (cause?.type === 'NODE_NOT_WAITING' || cause?.type === 'APPROVAL_VALUE_INVALID') return cause.type;
  const message = cause?.message ?? '';
  if (/does not fit|takes no value/.test(message)) return 'APPROVAL_VALUE_INVALID';
  if (/not an approval waiting/.test(message)) return 'NODE_NOT_WAITING';
  return cause?.type;
}

function isDeadline(err: unknown): boolean {
  const code = (err as { code?: number; cause?: { code?: number } })?.code ?? (err as { cause?: { code?: number } })?.cause?.code;
  return code === 4 || /DEADLINE_EXCEEDED/.test(String((err as Error)?.message)); // gRPC DEADLINE_EXCEEDED
}
