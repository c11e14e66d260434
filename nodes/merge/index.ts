/** Takes the first value that arrives on any of its inputs: joins the paths of a branch again. */
import { z } from 'zod';
import { defineNode } from '../../engine/node-sdk/define-node.ts';
import { flowKind, runsInWorkflow } from '../common/flow-kinds.ts';

export const MERGE_INPUTS = ['a', 'b', 'c', 'd'] as const;

export const mergeNode = defineNode({
  type: 'merge',
  version: 1,
  title: 'Merge',
  category: 'Flow',
  description: 'Passes on the first value that arrives on a, b, c or d (typically the paths of a branch); skipped when none arrives.',
  role: 'control',
  params: z.object({ kind: flowKind }),
  inputs: (p: { kind: string }) =>
    Object.fromEntries(MERGE_INPUTS.map((port) => [port, { kind: p.kind, required: false }])) as Record<string, { kind: never; required: false }>,
  outputs: (p: { kind: string }) => ({ value: { kind: p.kind as never } }),
  check: (_p, graph) => (MERGE_INPUTS.some((port) => graph.isConnected(port)) ? [] : ['connect at least one of its inputs (a, b, c, d).']),
  run: runsInWorkflow('merge'),
});
