/**
 * What a failed workflow means as one coded error, for everyone who reports runs (the CLI, the API's run
 * index, tests): a cancellation, a timeout, or the failing node named with its own code and details.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { TesseraError, type CodedError } from '../errors.ts';

/** Turns a workflow failure into the coded error the user sees, naming the failing node. */
export function runError(err: unknown): CodedError {
  if (err instanceof WorkflowFailedError) {
    const cause = err.cause as { name?: string; type?: string; message?: string; details?: unknown[] } | undefined;
    if (cause?.name === 'CancelledFailure' || err.message.includes('cancel')) {
      return { code: 'RUN_CANCELLED', message: 'The run was cancelled.' };
    }
    if (cause?.type === 'NODE_FAILED') {
      const detail = (cause.details?.[0] ?? {}) as { nodeId?: string; code?: string; message?: string; details?: unknown };
      const details = { code: detail.code, ...(detail.details !== undefined ? { details: detail.details } : {}) };
      // The run's budget stopped it before a provider call: the run's own outcome, under its own code, in the node's words.
      if (detail.code === 'BUDGET_EXCEEDED') return { code: 'BUDGET_EXCEEDED', message: detail.message ?? cause.message ?? 'The run\'s budget is spent.', nodeId: detail.nodeId, details };
      return { code: 'NODE_FAILED', message: cause.message ?? 'A node failed.', nodeId: detail.nodeId, details };
    }
    if (cause?.name === 'TimeoutFailure') return { code: 'RUN_TIMED_OUT', message: 'The run timed out.' };
    return { code: 'NODE_FAILED', message: cause?.message ?? err.message };
  }
  if (err instanceof TesseraError) return err.toJSON();
  throw err;
}
