import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { ValidPipeline } from '../pipeline/validate.ts';
import type { RunOrigin } from '../files/policy.ts';
import { compilePlan, type RunPipelineInput, type RunPipelineResult } from './plan.ts';

export const RUN_WORKFLOW = 'runPipeline';
export const NODE_STATUS_QUERY = 'nodeStatus';

export function newRunId(): string {
  return `run-${randomUUID()}`;
}

/** Starts a run of a validated pipeline; the workflow id is the run id. */
export async function startRun(
  client: Client,
  valid: ValidPipeline,
  inputs: Record<string, unknown>,
  options: { taskQueue: string; runId?: string; origin: RunOrigin },
): Promise<WorkflowHandle> {
  const runId = options.runId ?? newRunId();
  const args: RunPipelineInput = { plan: compilePlan(valid, options.taskQueue, options.origin), inputs };
  return client.workflow.start(RUN_WORKFLOW, {
    taskQueue: options.taskQueue,
    workflowId: runId,
    args: [args],
    memo: { pipeline: valid.pipeline.name },
  }) as Promise<WorkflowHandle>;
}

export type { RunPipelineResult };
