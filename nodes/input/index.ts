import { z } from 'zod';
import { defineNode } from '../../engine/node-sdk/define-node.ts';
import { PORT_KINDS, type PortKind } from '../../engine/ports.ts';

const kinds = PORT_KINDS.filter((k) => k !== 'any') as [PortKind, ...PortKind[]];

/** A pipeline input. The workflow fills its `value` from the run's inputs (or the default). */
export const inputNode = defineNode({
  type: 'input',
  version: 1,
  title: 'Input',
  category: 'Pipeline',
  description: 'A value given when the run starts: text, JSON, a media file or a list of them.',
  role: 'input',
  params: z.object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/).describe('Name callers use to pass the value.'),
    kind: z.enum(kinds).describe('Kind of value.'),
    default: z.unknown().optional().describe('Used when the run gives no value; the input is then optional.'),
    description: z.string().optional(),
  }),
  inputs: {},
  outputs: (params) => ({ value: { kind: params.kind } }),
  run: () => ({}),
});
