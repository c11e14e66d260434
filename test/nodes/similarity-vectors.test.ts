/** The similarity node. (The vector stores have their own suite: test/vector/.) */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NodeError } from '../../engine/node-sdk/define-node.ts';
import { similarityNode } from '../../nodes/similarity/index.ts';

const e = (vector: number[], model = 'm') => ({ model, vector });
const ctx = {} as never;

test('similarity gives the cosine matrix and the best match per row', async () => {
  const out = await similarityNode.run(ctx, { a: [e([1, 0]), e([0, 1])], b: [e([0, 2]), e([3, 0]), e([1, 1])] }, {});
  assert.deepEqual(out.matrix, [
    [0, 1, 0.707107],
    [1, 0, 0.707107],
  ]);
  assert.deepEqual(out.best, [
    { row: 0, col: 1, score: 1 },
    { row: 1, col: 0, score: 1 },
  ]);
});

test('similarity refuses embeddings of different models or lengths', async () => {
  await assert.rejects(similarityNode.run(ctx, { a: [e([1, 0], 'clip')], b: [e([1, 0], 'text-embedding-3-small')] }, {}), (err: unknown) => {
    assert.ok(err instanceof NodeError);
    assert.equal(err.code, 'EMBEDDING_MISMATCH');
    assert.match(err.message, /clip, text-embedding-3-small/);
    return true;
  });
  await assert.rejects(similarityNode.run(ctx, { a: [e([1, 0])], b: [e([1, 0, 0])] }, {}), /differ in length/);
});
