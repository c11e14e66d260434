/**
 * The vector store's behaviour, one suite for SQLite (exact, brute force) and pgvector (HNSW): run by
 * sqlite-vector-store.test.ts and pg-vector-store.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NodeError } from '../../engine/node-sdk/define-node.ts';
import type { Embedding } from '../../engine/ports.ts';
import { cosine } from '../../engine/vector/cosine.ts';
import type { VectorRecord } from '../../engine/vector/store.ts';
import type { VectorBackend } from './backends.ts';

export const e = (vector: number[], model = 'm'): Embedding => ({ model, vector });

/** Deterministic pseudo-random vectors (a linear congruential generator), so a failure can be replayed. */
export function randomVectors(count: number, dims: number, seed = 1): number[][] {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
  return Array.from({ length: count }, () => Array.from({ length: dims }, next));
}

/** The exact top k by cosine similarity, as a brute-force search finds them. */
export function exactTop(vectors: number[][], query: number[], k: number): number[] {
  return vectors
    .map((v, i) => ({ i, score: cosine(query, v) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k)
    .map((h) => h.i);
}

const mismatch = (pattern: RegExp) => (err: unknown) => {
  assert.ok(err instanceof NodeError, String(err));
  assert.equal(err.code, 'EMBEDDING_MISMATCH');
  assert.match(err.message, pattern);
  return true;
};

export function vectorSuite(backend: VectorBackend): void {
  describe(`vector store on ${backend.name}`, () => {
    test('upserts by id, ranks by cosine and survives reopening', async () => {
      const { store, reopen } = await backend.fresh();
      assert.equal(await store.upsert('c', [
        { id: 'x', embedding: e([1, 0, 0]), document: { title: 'x' } },
        { id: 'y', embedding: e([0, 1, 0]), document: { title: 'y' } },
        { id: 'z', embedding: e([0.9, 0.1, 0]), document: { title: 'z' } },
      ]), 3);
      await store.upsert('c', [{ id: 'y', embedding: e([0, 0, 1]), document: { title: 'y2' } }]);
      assert.equal(await store.count('c'), 3);
      assert.equal(await store.count('other'), 0);
      await store.close();

      const again = reopen();
      const hits = await again.search('c', e([1, 0, 0]), 2);
      assert.deepEqual(hits.map((h) => h.id), ['x', 'z']);
      assert.ok(Math.abs(hits[0].score - 1) < 1e-6);
      assert.ok(Math.abs(hits[1].score - cosine([1, 0, 0], [0.9, 0.1, 0])) < 1e-6);
      const y = await again.search('c', e([0, 0, 1]), 1);
      assert.deepEqual(y[0].document, { title: 'y2' });
    });

    test('scores are cosine similarities in [-1, 1], opposite vectors last', async () => {
      const { store } = await backend.fresh();
      await store.upsert('c', [
        { id: 'same', embedding: e([2, 0]), document: null },
        { id: 'right', embedding: e([0, 3]), document: null },
        { id: 'opposite', embedding: e([-1, 0]), document: null },
      ]);
      const hits = await store.search('c', e([1, 0]), 10);
      assert.deepEqual(hits.map((h) => h.id), ['same', 'right', 'opposite']);
      const scores = hits.map((h) => h.score);
      [1, 0, -1].forEach((want, i) => assert.ok(Math.abs(scores[i] - want) < 1e-6, `${scores[i]} vs ${want}`));
      assert.equal(hits[0].document, null, 'a null document reads back as null');
    });

    test('a collection keeps its model and size: other ones are EMBEDDING_MISMATCH, in documents and in queries', async () => {
      const { store } = await backend.fresh();
      await store.upsert('c', [{ id: 'a', embedding: e([1, 0, 0]), document: 1 }]);
      await assert.rejects(store.upsert('c', [{ id: 'w', embedding: e([1, 0]), document: null }]), mismatch(/3-dimensional/));
      await assert.rejects(store.upsert('c', [{ id: 'w', embedding: e([1, 0, 0], 'clip'), document: null }]), mismatch(/of model "m"; document "w" has 3 of "clip"/));
      // A new collection's documents must agree among themselves too, and nothing of a refused batch stays.
      await assert.rejects(store.upsert('d', [{ id: 'p', embedding: e([1, 0]), document: 1 }, { id: 'q', embedding: e([1, 0, 0]), document: 2 }]), mismatch(/2-dimensional/));
      assert.equal(await store.count('d'), 0);
      await assert.rejects(store.search('c', e([1, 0, 0], 'other-model'), 1), mismatch(/indexed with model "m", the query uses "other-model"/));
      await assert.rejects(store.search('c', e([1, 0]), 1), /differ in length/);
      assert.equal(await store.count('c'), 1);
    });

    test('collections are separate; an unknown or empty one finds nothing; nothing to upsert is 0', async () => {
      const { store } = await backend.fresh();
      await store.upsert('text', [{ id: 'a', embedding: e([1, 0], 'text-model'), document: 'text a' }]);
      await store.upsert('images', [{ id: 'a', embedding: e([1, 0, 0, 0], 'clip'), document: 'image a' }]);
      assert.deepEqual((await store.search('text', e([1, 0], 'text-model'), 5)).map((h) => h.document), ['text a']);
      assert.deepEqual((await store.search('images', e([0, 1, 0, 0], 'clip'), 5)).map((h) => h.document), ['image a']);
      assert.deepEqual(await store.search('nothing-here', e([1, 0]), 5), []);
      assert.equal(await store.upsert('text', []), 0);
      assert.equal(await store.count('text'), 1);
    });

    test('documents read back as stored JSON; an id given twice in one batch keeps the last', async () => {
      const { store } = await backend.fresh();
      const document = { title: 'Ünïcode ✓', nested: { list: [1, 2.5, null, true], empty: {} }, text: 'line\nbreak "quoted"' };
      await store.upsert('c', [
        { id: 'dup', embedding: e([1, 0]), document: 'first' },
        { id: 'doc', embedding: e([0, 1]), document },
        { id: 'dup', embedding: e([1, 0.1]), document: 'second' },
      ]);
      assert.equal(await store.count('c'), 2);
      const hits = await store.search('c', e([0, 1]), 2);
      assert.deepEqual(hits[0].document, document);
      assert.equal(hits[1].document, 'second');
    });

    test('nearest neighbours of 2,000 vectors of 128 dimensions agree with an exact search (recall@10 >= 0.95)', async () => {
      const { store } = await backend.fresh();
      const vectors = randomVectors(2000, 128, 7);
      const records: VectorRecord[] = vectors.map((v, i) => ({ id: String(i), embedding: e(v, 'rand'), document: { i } }));
      await store.upsert('rand', records);
      assert.equal(await store.count('rand'), 2000);
      const queries = randomVectors(20, 128, 99);
      let found = 0;
      for (const q of queries) {
        const hits = await store.search('rand', e(q, 'rand'), 10);
        assert.equal(hits.length, 10);
        const exact = new Set(exactTop(vectors, q, 10));
        found += hits.filter((h) => exact.has(Number(h.id))).length;
        for (const h of hits) assert.ok(Math.abs(h.score - cosine(q, vectors[Number(h.id)])) < 1e-5, 'the score is the cosine similarity');
        assert.deepEqual(hits.map((h) => h.score), [...hits.map((h) => h.score)].sort((a, b) => b - a), 'best first');
      }
      const recall = found / (queries.length * 10);
      assert.ok(recall >= 0.95, `recall@10 ${recall}`);
    });

    test('topK above the index default (40) still returns topK hits', async () => {
      const { store } = await backend.fresh();
      const vectors = randomVectors(300, 16, 3);
      await store.upsert('many', vectors.map((v, i) => ({ id: `d${i}`, embedding: e(v), document: i })));
      assert.equal((await store.search('many', e(vectors[0]), 150)).length, 150);
      assert.equal((await store.search('many', e(vectors[0]), 1000)).length, 300);
    });

    test('two workers filling a new collection at once make one collection with both batches', async () => {
      const { store, reopen } = await backend.fresh();
      const other = reopen();
      const batch = (from: number) => randomVectors(50, 8, from).map((v, i) => ({ id: `${from}-${i}`, embedding: e(v), document: from }));
      await Promise.all([store.upsert('shared', batch(1)), other.upsert('shared', batch(2)), store.upsert('shared', batch(3))]);
      assert.equal(await store.count('shared'), 150);
      assert.equal(await other.count('shared'), 150);
    });
  });
}
