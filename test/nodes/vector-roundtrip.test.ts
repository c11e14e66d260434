/**
 * embed -> vector-index -> vector-search with a real SqliteVectorStore and the fake's word-hash
 * embeddings (texts sharing words are close), and the similarity node on the same embeddings.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Embedding } from '../../engine/ports.ts';
import { embedNode } from '../../nodes/embed/index.ts';
import { similarityNode } from '../../nodes/similarity/index.ts';
import { vectorIndexNode } from '../../nodes/vector-index/index.ts';
import { vectorSearchNode } from '../../nodes/vector-search/index.ts';
import { nodeError, runNode, startNodeEnv, type NodeEnv } from '../support/node-harness.ts';

let env: NodeEnv;
before(async () => {
  env = await startNodeEnv();
});
after(() => env.close());

const DOCS = [
  { id: 'A', text: 'cats sleep on warm windowsills' },
  { id: 'B', text: 'stock markets fell sharply after rate decision' },
  { id: 'C', text: 'heavy rain and wind expected tomorrow' },
];

async function embed(texts: string[]): Promise<Embedding[]> {
  return (await runNode(embedNode, { texts }, {}, env.context())).embeddings as Embedding[];
}

test('the query sharing words with document B finds B first; scores are ranked; re-indexing replaces by id', async () => {
  const embeddings = await embed(DOCS.map((d) => d.text));
  const indexed = await runNode(vectorIndexNode, { documents: DOCS, embeddings }, { collection: 'news' }, env.context());
  assert.deepEqual(indexed, { count: 3, ids: ['A', 'B', 'C'] });

  const [query] = await embed(['why markets fell sharply']);
  const found = await runNode(vectorSearchNode, { query }, { collection: 'news', topK: 3 }, env.context());
  const results = found.results as { id: string; score: number; document: unknown }[];
  assert.deepEqual(results.map((r) => r.id)[0], 'B');
  assert.deepEqual(found.top, DOCS[1]);
  assert.equal(results.length, 3);
  assert.ok(results[0]!.score > 0.5, `B scores ${results[0]!.score}`);
  assert.ok(results[0]!.score > results[1]!.score + 0.2, `B clearly first: ${results.map((r) => r.score)}`);
  assert.ok(results.every((r, i) => i === 0 || r.score <= results[i - 1]!.score));

  const topOne = await runNode(vectorSearchNode, { query }, { collection: 'news', topK: 1 }, env.context());
  assert.equal((topOne.results as unknown[]).length, 1);

  // The same id again replaces the document (and its vector): now A is about markets.
  const [markets] = await embed(['markets fell sharply again']);
  const again = await runNode(vectorIndexNode, { documents: [{ id: 'A', text: 'markets fell sharply again' }], embeddings: [markets] }, { collection: 'news' }, env.context());
  assert.deepEqual(again, { count: 3, ids: ['A'] });
  const replaced = await runNode(vectorSearchNode, { query }, { collection: 'news' }, env.context());
  assert.deepEqual((replaced.results as { id: string }[]).slice(0, 2).map((r) => r.id).sort(), ['A', 'B']);

  // The similarity node agrees with the store on what is closest.
  const sim = await runNode(similarityNode, { a: [query], b: embeddings }, {}, env.context());
  assert.deepEqual((sim.best as { col: number }[])[0]!.col, 1);
});

test('documents without ids get positional ids; an empty collection finds nothing', async () => {
  const embeddings = await embed(['alpha beta', 'gamma delta']);
  const out = await runNode(vectorIndexNode, { documents: ['alpha beta', { title: 'no id' }], embeddings }, { collection: 'plain' }, env.context());
  assert.deepEqual(out.ids, ['doc-1', 'doc-2']);
  const found = await runNode(vectorSearchNode, { query: embeddings[1] }, { collection: 'plain' }, env.context());
  assert.equal((found.results as { id: string }[])[0]!.id, 'doc-2');
  assert.deepEqual(found.top, { title: 'no id' });

  const none = await runNode(vectorSearchNode, { query: embeddings[0] }, { collection: 'empty' }, env.context());
  assert.deepEqual(none, { results: [], top: null });
});

test('documents and embeddings must pair up; a query from another model is EMBEDDING_MISMATCH', async () => {
  const embeddings = await embed(['one', 'two']);
  const err = await nodeError(runNode(vectorIndexNode, { documents: [{ id: 'x' }], embeddings }, { collection: 'pairs' }, env.context()));
  assert.equal(err.code, 'NODE_INPUT_INVALID');
  assert.match(err.message, /1 documents but 2 embeddings/);

  await runNode(vectorIndexNode, { documents: [{ id: 'x' }], embeddings: embeddings.slice(0, 1) }, { collection: 'pairs' }, env.context());
  const other = (await runNode(embedNode, { texts: ['one'] }, { model: 'text-embedding-3-large' }, env.context())).embedding as Embedding;
  assert.equal(other.model, 'text-embedding-3-large');
  const mismatch = await nodeError(runNode(vectorSearchNode, { query: other }, { collection: 'pairs' }, env.context()));
  assert.equal(mismatch.code, 'EMBEDDING_MISMATCH');
});
