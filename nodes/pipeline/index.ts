/**
 * Runs a saved pipeline version as a Temporal child workflow. Its ports are the child's input and output
 * nodes: validation fills them in from the saved version (engine/pipeline/sub-pipelines.ts).
 */
import { z } from 'zod';
import { defineNode } from '../../engine/node-sdk/define-node.ts';
import { runsInWorkflow } from '../common/flow-kinds.ts';

export const pipelineNode = defineNode({
  type: 'pipeline',
  version: 1,
  title: 'Sub-pipeline',
  category: 'Flow',
  description: 'Runs another saved pipeline inside this one; its inputs and outputs are that pipeline\'s.',
  role: 'control',
  params: z.object({
    pipeline: z.string().min(1).describe('The saved pipeline\'s id.'),
    version: z.number().int().min(1).optional().describe('The version run; saving fills in the latest.'),
  }),
  inputs: {},
  outputs: {},
  run: runsInWorkflow('pipeline'),
});
