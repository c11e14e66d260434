/**
 * The workflow's input for a run, made to fit in Temporal: input values over SPILL_THRESHOLD_BYTES are
 * stored in the blob store and travel as `{ $spilled }` markers (the workflow passes them through to the
 * nodes unchanged; each activity restores them), and what is left is measured before Temporal sees it,
 * so that a run too large is refused with a coded error instead of a slow, misreported start failure.
 */
import type { BlobStore } from '../blob/store.ts';
import type { BlobUndo } from '../blob/undo-log.ts';
import { TesseraError } from '../errors.ts';
import { spillLargeValues, ValueTooLargeError } from '../worker/spill.ts';
import type { RunPipelineInput, RunPlan } from './plan.ts';
import { formatBytes, jsonBytes, MAX_VALUE_BYTES, MAX_WORKFLOW_INPUT_BYTES } from './size-limits.ts';

/** `undo`: the request's log, so that the spilled inputs of a run refused later are deleted with its uploads. */
export async function prepareRunInput(plan: RunPlan, inputs: Record<string, unknown>, blobs: BlobStore, options: { undo?: BlobUndo } = {}): Promise<RunPipelineInput> {
  const planBytes = jsonBytes(plan);
  if (planBytes > MAX_WORKFLOW_INPUT_BYTES) {
    // Validation bounds the document; a plan can still grow past it with many nodes' execution options.
    throw new TesseraError('PIPELINE_TOO_LARGE', `The compiled pipeline is ${formatBytes(planBytes)}, over the ${formatBytes(MAX_WORKFLOW_INPUT_BYTES)} a run can carry.`, {
      details: { bytes: planBytes, maxBytes: MAX_WORKFLOW_INPUT_BYTES },
    });
  }
  let spilled: Record<string, unknown>;
  try {
    spilled = await spillLargeValues(inputs, blobs, { undo: options.undo });
  } catch (err) {
    if (!(err instanceof ValueTooLargeError)) throw err;
    throw new TesseraError('RUN_TOO_LARGE', `Input "${err.port}" is over the ${formatBytes(MAX_VALUE_BYTES)} a value may be; upload it as a file instead.`, {
      details: { input: err.port, maxBytes: MAX_VALUE_BYTES },
    });
  }
  const args: RunPipelineInput = { plan, inputs: spilled };
  const bytes = jsonBytes(args);
  if (bytes > MAX_WORKFLOW_INPUT_BYTES) {
    const [input] = Object.entries(spilled).map(([name, value]) => [name, jsonBytes(value)] as const).sort((a, b) => b[1] - a[1])[0] ?? [];
    const which = input ? ` (input "${input}" is the largest)` : '';
    throw new TesseraError('RUN_TOO_LARGE', `The run's inputs and pipeline come to ${formatBytes(bytes)} even with large values stored as blobs, over the ${formatBytes(MAX_WORKFLOW_INPUT_BYTES)} a run can carry${which}.`, {
      details: { ...(input ? { input } : {}), bytes, maxBytes: MAX_WORKFLOW_INPUT_BYTES },
    });
  }
  return args;
}
