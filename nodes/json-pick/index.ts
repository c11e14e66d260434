import { z } from 'zod';
import { defineNode, NodeError } from '../../engine/node-sdk/define-node.ts';
import { readPath } from '../common/json-path.ts';

export const jsonPickNode = defineNode({
  type: 'json-pick',
  version: 1,
  title: 'Pick from JSON',
  category: 'Data',
  description: 'Reads one value out of JSON by a path such as "patient.medications[0].name". `text` gives it as text.',
  params: z.object({
    path: z.string().describe('Dotted path with [index] steps; empty for the whole value.'),
    required: z.boolean().default(true).describe('Fail when the path is missing (else output null).'),
  }),
  inputs: { json: { kind: 'json' } },
  outputs: { value: { kind: 'json' }, text: { kind: 'text' } },
  execution: { startToCloseTimeout: '30s', local: true },
  run: (_ctx, inputs, params) => {
    const value = readPath(inputs.json, params.path);
    if (value === undefined && params.required) {
      throw new NodeError('PATH_NOT_FOUND', `Path "${params.path}" does not exist in the JSON input.`);
    }
    const picked = value ?? null;
    return { value: picked, text: typeof picked === 'string' ? picked : JSON.stringify(picked) };
  },
});
