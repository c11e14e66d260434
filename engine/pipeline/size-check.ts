/**
 * A pipeline must fit in the workflow that runs it: its compiled plan (every node's params) is part of the
 * workflow's input, and each node's params travel again in its activity request, under Temporal's 2 MB
 * payload limit. A pipeline too large for that is refused here, when it is saved, validated or run,
 * rather than when Temporal refuses to start it. Large content belongs in run inputs (spilled to the
 * blob store) or uploaded files, not in params.
 */
import { codedError, type CodedError } from '../errors.ts';
import { formatBytes, jsonBytes, MAX_NODE_PARAMS_BYTES, MAX_PIPELINE_BYTES } from '../run/size-limits.ts';
import type { Pipeline } from './schema.ts';

export function checkPipelineSize(pipeline: Pipeline): CodedError[] {
  const errors: CodedError[] = [];
  let largest: { id: string; bytes: number } | undefined;
  for (const node of pipeline.nodes) {
    const bytes = jsonBytes(node.params ?? {});
    if (!largest || bytes > largest.bytes) largest = { id: node.id, bytes };
    if (bytes > MAX_NODE_PARAMS_BYTES) {
      errors.push(
        codedError('PIPELINE_TOO_LARGE', `Node "${node.id}" has ${formatBytes(bytes)} of params, over the ${formatBytes(MAX_NODE_PARAMS_BYTES)} a node may have; pass large text as a run input instead.`, {
          nodeId: node.id,
          details: { bytes, maxBytes: MAX_NODE_PARAMS_BYTES },
        }),
      );
    }
  }
  if (errors.length) return errors;
  const bytes = jsonBytes(pipeline);
  if (bytes > MAX_PIPELINE_BYTES) {
    const where = largest ? ` (node "${largest.id}" has the largest params, ${formatBytes(largest.bytes)})` : '';
    errors.push(
      codedError('PIPELINE_TOO_LARGE', `The pipeline is ${formatBytes(bytes)}, over the ${formatBytes(MAX_PIPELINE_BYTES)} a pipeline may be${where}.`, {
        ...(largest ? { nodeId: largest.id } : {}),
        details: { bytes, maxBytes: MAX_PIPELINE_BYTES },
      }),
    );
  }
  return errors;
}
