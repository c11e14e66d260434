/**
 * Partial runs. "Run from here" (`fromRun` + `from`): a new run of a saved version that takes the outputs
 * of every node upstream of `from` from an earlier run of the same pipeline (pinned in the run's copy of
 * the pipeline, so those nodes do not run and cost nothing), and runs `from` and everything downstream.
 * The earlier run's inputs are the default inputs. An upstream node that changed since that run (type,
 * version or params) or that did not succeed in it makes the request fail, rather than reuse a stale
 * value. "Run to here" (`to`) runs only the node and what it needs (engine/run/plan.ts).
 */
import type { Pipeline } from '../../pipeline/schema.ts';
import type { ValidPipeline } from '../../pipeline/validate.ts';
import { restoreSpilled } from '../../worker/spill.ts';
import type { ApiDeps } from '../deps.ts';
import { apiError } from '../errors.ts';
import { nodeOutputs } from './node-outputs.ts';
import { pinUpstream } from '../../run/reuse-run.ts';
export { checkPartial, type PartialRun } from '../../run/reuse-run.ts';

/**
 * The pipeline with the nodes upstream of `from` pinned to what they produced in run `fromRun` (read from
 * the run index, else asked of its workflow), and that run's inputs (large values restored).
 */
export async function pinFromRun(deps: ApiDeps, pipelineId: string, document: Pipeline, valid: ValidPipeline, fromRun: string, from: string): Promise<{ document: Pipeline; inputs: Record<string, unknown> }> {
  const earlier = await deps.store.getRun(fromRun);
  if (!earlier) throw apiError('RUN_NOT_FOUND', `No run "${fromRun}" (field "fromRun").`, { runId: fromRun });
  if (earlier.pipelineId !== pipelineId) throw apiError('REQUEST_INVALID', `Run "${fromRun}" is a run of another pipeline (${earlier.pipelineId}).`, { field: 'fromRun' });
  const earlierDoc = (await deps.store.getVersion(earlier.pipelineId, earlier.pipelineVersion))?.document;
  const pinned = await pinUpstream(document, valid, {
    id: fromRun,
    nodes: new Map((earlierDoc?.nodes ?? []).map((n) => [n.id, n])),
    states: earlier.nodes,
    outputs: (nodeId) => nodeOutputs(deps, fromRun, nodeId),
  }, from);
  return { document: pinned, inputs: await restoreSpilled(earlier.inputs, deps.blobs) };
}
