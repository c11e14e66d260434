import { z } from 'zod';
import { defineNode, NodeError } from '../../engine/node-sdk/define-node.ts';
import type { Embedding } from '../../engine/ports.ts';
import { cosine } from '../../engine/vector/cosine.ts';

/** Cosine similarity of every embedding in `a` against every one in `b` (the seed's image-to-text matching). */
export const similarityNode = defineNode({
  type: 'similarity',
  version: 1,
  title: 'Similarity matrix',
  category: 'Embeddings',
  description: 'Cosine similarity of embeddings A x B, and the best match in B for each row of A.',
  params: z.object({}),
  inputs: { a: { kind: 'embedding[]' }, b: { kind: 'embedding[]' } },
  outputs: { matrix: { kind: 'json' }, best: { kind: 'json' } },
  execution: { startToCloseTimeout: '1m', local: true },
  run: (_ctx, inputs) => {
    const all: Embedding[] = [...inputs.a, ...inputs.b];
    const models = new Set(all.map((e) => e.model));
    if (models.size > 1) {
      throw new NodeError('EMBEDDING_MISMATCH', `Embeddings from different models cannot be compared: ${[...models].join(', ')}.`);
    }
    const dims = new Set(all.map((e) => e.vector.length));
    if (dims.size > 1) throw new NodeError('EMBEDDING_MISMATCH', `Embeddings differ in length: ${[...dims].join(', ')}.`);
    const matrix = inputs.a.map((row) => inputs.b.map((col) => round(cosine(row.vector, col.vector))));
    const best = matrix.map((scores, row) => {
      const col = scores.reduce((bestCol, score, i) => (score > scores[bestCol] ? i : bestCol), 0);
      return { row, col, score: scores[col] ?? null };
    });
    return { matrix, best };
  },
});

const round = (x: number) => Math.round(x * 1e6) / 1e6;
