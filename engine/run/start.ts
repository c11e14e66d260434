import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { ValidPipeline } from '../pipeline/validate.ts';
import type { RunOrigin } from '../files/policy.ts';
import type { BlobStore } from '../blob/store.ts';
import { compilePlan, type RunPipelineInput, type RunPipelineResult } from './plan.ts';
import { prepareRunInput } from './run-input.ts';
import { startError } from './start-error.ts';

export const RUN_WORKFLOW = 'runPipeline';
export const NODE_STATUS_QUERY = 'nodeStatus';

export function newRunId(): string {
  return `run-${randomUUID()}`;
}

/**
 * Starts a run of a validated pipeline; the workflow id is the run id. Large inputs are stored in `blobs`
 * (the workers' blob store) and travel as references; a run too large for Temporal is refused with a coded
 * error (run-input.ts), as is a start Temporal refuses (start-error.ts).
 */
export async function startRun(
  client: Client,
  valid: ValidPipeline,
  inputs: Record<string, unknown>,
  options: { taskQueue: string; runId?: string; origin: RunOrigin; blobs: BlobStore; onPrepared?: (args: RunPipelineInput) => void },
): Promise<WorkflowHandle> {
  const runId = options.runId ?? newRunId();
  const args = await prepareRunInput(compilePlan(valid, options.taskQueue, options.origin), inputs, options.blobs);
  options.onPrepared?.(args); // what the workflow gets (large values as markers), e.g. for the run index
  try {
    return (await client.workflow.start(RUN_WORKFLOW, {
      taskQueue: options.taskQueue,
      workflowId: runId,
      args: [args],
      memo: { pipeline: valid.pipeline.name },
    })) as WorkflowHandle;
  } catch (err) {
    throw startError(err);
  }
}

export type { RunPipelineResult };
