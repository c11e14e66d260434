/**
 * Starting runs of saved pipelines: shared by the runs endpoint, webhooks, reruns and (for plan
 * compilation) schedules. The run is recorded in the store before the workflow starts, so the index
 * never misses a run; the workflow id is the run id.
 */
import type { BlobUndo } from '../../blob/undo-log.ts';
import { ERROR_CODES, type TesseraError } from '../../errors.ts';
import { validatePipeline, type ValidPipeline } from '../../pipeline/validate.ts';
import { pipelineInputs, resolveRunInputs } from '../../run/inputs.ts';
import { storedBlobInputs } from '../../run/stored-inputs.ts';
import { compilePlan, scopePipeline } from '../../run/plan.ts';
import type { CacheMode } from '../../cache/cache-policy.ts';
import { checkPartial, pinFromRun, type PartialRun } from './partial-run.ts';
import { prepareRunInput } from '../../run/run-input.ts';
import { newRunId, startRunWorkflow } from '../../run/start.ts';
import type { PipelineVersionRecord, RunRecord, RunTrigger } from '../../store/types.ts';
import type { ApiDeps } from '../deps.ts';
import { apiError, validationFailed } from '../errors.ts';
import { apiValidateOptions } from '../pipelines/api-validate.ts';
import { recordInputs } from './record-values.ts';
import { withRunBudget } from '../../budget/run-budget.ts';

export interface StartRunRequest {
  pipelineId: string;
  version?: number;
  inputs: Record<string, unknown>;
  trigger: RunTrigger;
  /** The run's use of the output cache (default auto). */
  cache?: CacheMode;
  /** The run's cost budget in USD, instead of the pipeline's. */
  budgetUsd?: number;
  /** Run from a node (reusing an earlier run's upstream outputs), or only to a node. */
  partial?: PartialRun;
  /** The request's uploads: committed once the run started (or stays recorded); on a refusal the caller rolls them back. */
  uploads?: BlobUndo;
}

/** The saved version (latest when none is given), validated against the current registry and the saved pipelines it runs. */
export async function loadVersion(deps: ApiDeps, pipelineId: string, version?: number): Promise<{ record: PipelineVersionRecord; valid: ValidPipeline }> {
  const pipeline = await deps.store.getPipeline(pipelineId);
  if (!pipeline) throw apiError('PIPELINE_NOT_FOUND', `No pipeline "${pipelineId}".`, { pipelineId });
  const record = await deps.store.getVersion(pipelineId, version);
  if (!record) throw apiError('VERSION_NOT_FOUND', `Pipeline "${pipelineId}" has no version ${version}.`, { pipelineId, version });
  // Validated again as it arrives, with today's rules: a version saved before them cannot slip through.
  const result = validatePipeline(record.document, deps.registry, await apiValidateOptions(deps, record.document, pipelineId));
  if (!result.ok) throw validationFailed(result.errors);
  return { record, valid: result.value };
}

/** Checks inputs (kinds, and that referenced blobs exist), records the run, starts the workflow. */
export async function startPipelineRun(deps: ApiDeps, request: StartRunRequest): Promise<RunRecord> {
  const loaded = await loadVersion(deps, request.pipelineId, request.version);
  const { record } = loaded;
  let { valid } = loaded;
  let inputs = request.inputs;
  const partial = request.partial ?? {};
  checkPartial(valid, partial);
  let earlierInputs: Record<string, unknown> = {};
  if (partial.fromRun && partial.from) {
    // The run's own copy of the pipeline, with the upstream nodes pinned to the earlier run's outputs.
    const pinned = await pinFromRun(deps, request.pipelineId, record.document, valid, partial.fromRun, partial.from);
    const revalidated = validatePipeline(pinned.document, deps.registry, await apiValidateOptions(deps, pinned.document, request.pipelineId));
    if (!revalidated.ok) throw validationFailed(revalidated.errors);
    valid = revalidated.value;
    earlierInputs = pinned.inputs;
  }
  // Only the inputs the run needs are asked for (a run to a node, or past pinned nodes, may leave some out).
  const scoped = scopePipeline(valid, partial.to);
  const names = new Set(pipelineInputs(scoped).map((i) => i.name));
  inputs = { ...Object.fromEntries(Object.entries(earlierInputs).filter(([name]) => names.has(name))), ...inputs };
  const resolved = resolveRunInputs(scoped, inputs);
  if (!resolved.ok) throw validationFailed(resolved.errors);
  resolved.inputs = await checkStoredBlobs(deps, scoped, resolved.inputs); // as stored, not as claimed
  // Before anything is recorded: large inputs go to the blob store, and a run too large for Temporal is refused.
  const args = await prepareRunInput(compilePlan(valid, deps.taskQueue, 'api', request.cache, { to: partial.to }), resolved.inputs, deps.blobs, { undo: request.uploads });

  args.plan = withRunBudget(args.plan, request.budgetUsd); // the run's own budget wins over the pipeline's

  const run: RunRecord = {
    id: newRunId(),
    pipelineId: record.pipelineId,
    pipelineVersion: record.version,
    pipelineName: record.document.name,
    status: 'running',
    trigger: request.trigger,
    inputs: await recordInputs(args.inputs, resolved.inputs),
    nodes: {},
    startedAt: new Date().toISOString(),
  };
  await deps.store.insertRun(run);
  try {
    await startRunWorkflow(deps.client, args, { taskQueue: deps.taskQueue, runId: run.id, memo: run });
  } catch (err) {
    const error = err as TesseraError; // startRunWorkflow codes every refusal
    // Refused as the request's fault: the run never existed. Otherwise the index says why it did not start.
    if (ERROR_CODES[error.code].status < 500) await deps.store.deleteRun(run.id);
    else {
      request.uploads?.commit(); // the run stays in the index (and may have started after all): keep what it refers to
      await deps.store.updateRun(run.id, { status: 'failed', endedAt: new Date().toISOString(), error: { code: error.code, message: error.message } });
    }
    throw error;
  }
  request.uploads?.commit();
  deps.metrics.runsStarted.inc({ trigger: request.trigger.type });
  return run;
}

/**
 * The inputs with each blob reference replaced by the stored blob's (sniffed media type, real size,
 * cleaned name); a missing blob or one whose content does not fit a media input is a 400 naming the input.
 */
export async function checkStoredBlobs(deps: ApiDeps, valid: ValidPipeline, inputs: Record<string, unknown>): Promise<Record<string, unknown>> {
  const checked = await storedBlobInputs(valid, inputs, deps.blobs);
  if (!checked.ok) throw validationFailed(checked.errors);
  return checked.inputs;
}
