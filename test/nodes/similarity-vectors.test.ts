/** The similarity node and the embedded vector store, with real SQLite. */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { NodeError } from '../../engine/node-sdk/define-node.ts';
import { SqliteVectorStore } from '../../engine/vector/sqlite-store.ts';
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

test('the SQLite vector store upserts by id, ranks by cosine and survives reopening', async () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'tessera-vectors-')), 'vectors.db');
  const store = new SqliteVectorStore(file);
  await store.upsert('c', [
    { id: 'x', embedding: e([1, 0, 0]), document: { title: 'x' } },
    { id: 'y', embedding: e([0, 1, 0]), document: { title: 'y' } },
    { id: 'z', embedding: e([0.9, 0.1, 0]), document: { title: 'z' } },
  ]);
  await store.upsert('c', [{ id: 'y', embedding: e([0, 0, 1]), document: { title: 'y2' } }]);
  assert.equal(await store.count('c'), 3);
  assert.equal(await store.count('other'), 0);
  store.close();

  const reopened = new SqliteVectorStore(file);
  const hits = await reopened.search('c', e([1, 0, 0]), 2);
  assert.deepEqual(hits.map((h) => h.id), ['x', 'z']);
  assert.ok(Math.abs(hits[0].score - 1) < 1e-6);
  const y = await reopened.search('c', e([0, 0, 1]), 1);
  assert.deepEqual(y[0].document, { title: 'y2' });
  await assert.rejects(reopened.upsert('c', [{ id: 'w', embedding: e([1, 0]), document: null }]), /3-dimensional/);
  await assert.rejects(reopened.search('c', e([1, 0, 0], 'other-model'), 1), /indexed with model "m"/);
  reopened.close();
});
