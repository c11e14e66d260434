import { z } from 'zod';
import { defineNode } from '../../engine/node-sdk/define-node.ts';

export const vectorSearchNode = defineNode({
  type: 'vector-search',
  version: 1,
  title: 'Vector search',
  category: 'Search',
  description: 'Finds the documents of a collection closest to a text or image embedding.',
  params: z.object({
    collection: z.string().regex(/^[A-Za-z0-9_.-]+$/).describe('Collection name.'),
    topK: z.number().int().min(1).max(1000).default(5).describe('How many results.'),
  }),
  inputs: { query: { kind: 'embedding' } },
  outputs: { results: { kind: 'json' }, top: { kind: 'json' } },
  // Reads an index that changes between runs: the same query may find new items.
  execution: { startToCloseTimeout: '2m', cacheable: false },
  run: async (ctx, inputs, params) => {
    const results = await ctx.vectors.search(params.collection, inputs.query, params.topK);
    return { results, top: results[0]?.document ?? null };
  },
});
