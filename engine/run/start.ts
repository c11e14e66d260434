/**
 * Starting runs: the one place a run's workflow is started (the CLI, the API's runs, webhooks and reruns;
 * schedules build the same action with the same memo), by the workflow's type, so its arguments are
 * checked against runPipeline's signature and its result is typed. The workflow id is the run id.
 */
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { runPipeline } from '../../workflows/run-pipeline.ts';
import type { BlobStore } from '../blob/store.ts';
import type { RunOrigin } from '../files/policy.ts';
import type { ValidPipeline } from '../pipeline/validate.ts';
import type { RunTrigger } from '../store/types.ts';
import type { CacheMode } from '../cache/cache-policy.ts';
import { compilePlan, type RunPipelineInput, type RunPipelineResult } from './plan.ts';
import { prepareRunInput } from './run-input.ts';
import { withRunBudget } from '../budget/run-budget.ts';
import { startError } from './start-error.ts';

export { nodeOutputsQuery, nodeStatusQuery } from '../../workflows/contract.ts';

/** The name runPipeline is registered under (workflows/index.ts); for schedule actions, which take a name. */
export const RUN_WORKFLOW = 'runPipeline';

export type RunHandle = WorkflowHandle<typeof runPipeline>;

export function newRunId(): string {
  return `run-${randomUUID()}`;
}

export interface RunMemo {
  pipelineName: string;
  trigger: RunTrigger;
  /** Saved pipelines only (runs of a file by the CLI have none). */
  pipelineId?: string;
  pipelineVersion?: number;
}

/** What the Temporal UI shows about a run, and what the API reads back to index scheduled runs. */
export function runMemo(memo: RunMemo): Record<string, unknown> {
  return { pipelineName: memo.pipelineName, trigger: memo.trigger, ...(memo.pipelineId ? { pipelineId: memo.pipelineId, pipelineVersion: memo.pipelineVersion } : {}) };
}

/** Starts runPipeline with prepared arguments; a start Temporal refuses becomes a coded error (start-error.ts). */
export async function startRunWorkflow(client: Client, args: RunPipelineInput, options: { taskQueue: string; runId: string; memo: RunMemo }): Promise<RunHandle> {
  try {
    return await client.workflow.start<typeof runPipeline>(RUN_WORKFLOW, {
      taskQueue: options.taskQueue,
      workflowId: options.runId,
      args: [args],
      memo: runMemo(options.memo),
    });
  } catch (err) {
    throw startError(err);
  }
}

/**
 * Starts a run of a validated pipeline file (the CLI, benchmarks, tests). Large inputs are stored in
 * `blobs` (the workers' blob store) and travel as references; a run too large for Temporal is refused
 * with a coded error (run-input.ts).
 */
export async function startRun(
  client: Client,
  valid: ValidPipeline,
  inputs: Record<string, unknown>,
  options: { taskQueue: string; runId?: string; origin: RunOrigin; blobs: BlobStore; cache?: CacheMode; budgetUsd?: number; to?: string; onPrepared?: (args: RunPipelineInput) => void },
): Promise<RunHandle> {
  const args = await prepareRunInput(compilePlan(valid, options.taskQueue, options.origin, options.cache, { to: options.to }), inputs, options.blobs);
  args.plan = withRunBudget(args.plan, options.budgetUsd); // the run's own budget wins over the pipeline's
  options.onPrepared?.(args); // what the workflow gets (large values as markers), e.g. for the run index
  const trigger: RunTrigger = { type: options.origin === 'cli' ? 'cli' : 'api' };
  return startRunWorkflow(client, args, { taskQueue: options.taskQueue, runId: options.runId ?? newRunId(), memo: { pipelineName: valid.pipeline.name, trigger } });
}

export type { RunPipelineResult };
