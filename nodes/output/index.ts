import { z } from 'zod';
import { defineNode } from '../../engine/node-sdk/define-node.ts';

/** A pipeline result: whatever reaches `value` appears in the run's outputs under `name`. */
export const outputNode = defineNode({
  type: 'output',
  version: 1,
  title: 'Output',
  category: 'Pipeline',
  description: 'Publishes the value wired into it as a named result of the run.',
  role: 'output',
  params: z.object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/).describe('Name of the result.'),
    description: z.string().optional(),
  }),
  inputs: { value: { kind: 'any' } },
  outputs: {},
  run: () => ({}),
});
