import { z } from 'zod';
import { defineNode } from '../../engine/node-sdk/define-node.ts';

/** Joins texts: wire any number of text or text-list outputs into `items`; they are joined in edge order. */
export const joinNode = defineNode({
  type: 'join',
  version: 1,
  title: 'Join texts',
  category: 'Text',
  description: 'Joins texts and lists of texts, in the order of their edges, with a separator.',
  params: z.object({ separator: z.string().default('\n\n').describe('Placed between items.') }),
  inputs: { items: { kind: 'text[]' } },
  outputs: { text: { kind: 'text' }, count: { kind: 'json' } },
  execution: { startToCloseTimeout: '30s', local: true },
  run: (_ctx, inputs, params) => ({ text: inputs.items.join(params.separator), count: inputs.items.length }),
});
