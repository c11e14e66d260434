/**
 * Pinned outputs: a task node whose `pinned.outputs` are given does not run; runs use those values. They
 * must fit the node's output ports: every port named exists and every value is of its kind (a large
 * value may stay a `$spilled` marker, as runs carry it). Input and output nodes cannot be pinned.
 */
import { codedError, type CodedError } from '../errors.ts';
import { kindProblem } from '../run/inputs.ts';
import { isSpilled } from '../worker/spill.ts';
import type { PipelineNode } from './schema.ts';
import type { PortMap } from '../node-sdk/define-node.ts';
import type { NodeRole } from '../node-sdk/define-node.ts';

export function checkPins(nodes: { node: PipelineNode; role: NodeRole; outputs: PortMap }[], errors: CodedError[]): void {
  for (const { node, role, outputs } of nodes) {
    if (!node.pinned) continue;
    if (role !== 'task') {
      errors.push(codedError('PIN_INVALID', `Node "${node.id}" is an ${role} node: only nodes that run can have pinned outputs.`, { nodeId: node.id }));
      continue;
    }
    for (const [port, value] of Object.entries(node.pinned.outputs)) {
      const spec = outputs[port];
      if (!spec) {
        errors.push(codedError('PIN_INVALID', `Node "${node.id}" has no output "${port}" to pin (outputs: ${Object.keys(outputs).join(', ') || 'none'}).`, { nodeId: node.id, port }));
        continue;
      }
      const items = Array.isArray(value) ? value : [value];
      if (items.some(isSpilled)) continue; // checked when it was produced; its JSON is in the blob store
      const problem = kindProblem(value, spec.kind);
      if (problem) errors.push(codedError('PIN_INVALID', `The pinned value of "${node.id}.${port}" is not ${spec.kind}: ${problem}.`, { nodeId: node.id, port }));
    }
  }
}
