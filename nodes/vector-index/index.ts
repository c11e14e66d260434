import { z } from 'zod';
import { defineNode, NodeError } from '../../engine/node-sdk/define-node.ts';

/** Upserts documents with their embeddings into a named collection (the i-th embedding belongs to the i-th document). */
export const vectorIndexNode = defineNode({
  type: 'vector-index',
  version: 1,
  title: 'Vector index',
  category: 'Search',
  description: 'Stores documents with their embeddings in a named collection; a document with the same id is replaced.',
  params: z.object({ collection: z.string().regex(/^[A-Za-z0-9_.-]+$/).describe('Collection name.') }),
  inputs: { documents: { kind: 'json[]' }, embeddings: { kind: 'embedding[]' } },
  outputs: { count: { kind: 'json' }, ids: { kind: 'json' } },
  // Writes to the vector store: running it is the point, so it is never replaced by a cached result.
  execution: { startToCloseTimeout: '5m', cacheable: false },
  run: async (ctx, inputs, params) => {
    if (inputs.documents.length !== inputs.embeddings.length) {
      throw new NodeError('NODE_INPUT_INVALID', `Got ${inputs.documents.length} documents but ${inputs.embeddings.length} embeddings; they must pair up.`);
    }
    const records = inputs.documents.map((document, i) => ({ id: documentId(document, i), document, embedding: inputs.embeddings[i] }));
    await ctx.vectors.upsert(params.collection, records);
    return { count: await ctx.vectors.count(params.collection), ids: records.map((r) => r.id) };
  },
});

/** A document's own `id` when it has one, else its position. */
function documentId(document: unknown, index: number): string {
  const id = (document as { id?: unknown } | null)?.id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : `doc-${index + 1}`;
}
