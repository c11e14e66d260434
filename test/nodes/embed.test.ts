/** The embed node: batching, order, model names, and images only into image-capable models. */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { validatePipeline } from '../../engine/pipeline/validate.ts';
import { embedNode } from '../../nodes/embed/index.ts';
import { createRegistry } from '../../nodes/index.ts';
import { contentMarker } from '../support/fake-provider-server.ts';
import { nodeError, runNode, startNodeEnv, type NodeEnv } from '../support/node-harness.ts';
import { solid } from '../media/helpers.ts';

let env: NodeEnv;
before(async () => {
  env = await startNodeEnv();
});
beforeEach(() => env.fake.reset());
after(() => env.close());

const TEXTS = ['red apples', 'green pears', 'ripe bananas', 'sour lemons', 'sweet cherries'];
type Embedding = { model: string; vector: number[] };

test('5 texts with batchSize 2: three requests in order, five embeddings with the model name, usage per request', async () => {
  const ctx = env.context();
  const out = await runNode(embedNode, { texts: TEXTS }, { batchSize: 2 }, ctx);
  const requests = env.fake.requestsTo('embeddings');
  assert.equal(requests.length, 3);
  assert.deepEqual(requests.map((r) => r.json.input), [TEXTS.slice(0, 2), TEXTS.slice(2, 4), TEXTS.slice(4)]);
  for (const r of requests) assert.equal(r.json.model, 'text-embedding-3-small');

  const embeddings = out.embeddings as Embedding[];
  assert.equal(embeddings.length, 5);
  for (const e of embeddings) {
    assert.equal(e.model, 'text-embedding-3-small');
    assert.equal(e.vector.length, 64);
    assert.ok(Math.abs(Math.hypot(...e.vector) - 1) < 1e-5, 'the fake returns unit vectors');
  }
  assert.deepEqual(out.embedding, embeddings[0]);
  assert.equal(new Set(embeddings.map((e) => JSON.stringify(e.vector))).size, 5, 'different texts, different vectors');

  // Each embedding belongs to its text: embedding one text alone gives the same vector.
  const alone = await runNode(embedNode, { texts: [TEXTS[3]] }, {}, env.context());
  const v = (alone.embedding as Embedding).vector;
  assert.ok(embeddings[3]!.vector.every((x, i) => Math.abs(x - v[i]!) < 1e-6));

  assert.equal(ctx.usage.length, 3);
  for (const u of ctx.usage) {
    assert.equal(u.model, 'text-embedding-3-small');
    assert.ok(u.inputTokens! > 0 && u.costUsd! > 0);
  }
  assert.deepEqual(ctx.progressReports.map((p) => p.fraction), [0.4, 0.8, 1]);
});

function embedPipeline(model: string, provider = 'openai') {
  return {
    format: 'tessera.pipeline/v1',
    name: 'embed-images',
    nodes: [
      { id: 'photos', type: 'input', params: { name: 'photos', kind: 'image[]' } },
      { id: 'vectors', type: 'embed', params: { provider, model } },
      { id: 'result', type: 'output', params: { name: 'result' } },
    ],
    edges: [
      { from: 'photos.value', to: 'vectors.images' },
      { from: 'vectors.embeddings', to: 'result.value' },
    ],
  };
}

test('images into a text-only model: refused at validation (PARAMS_INVALID naming the node) and at run time (CAPABILITY_UNSUPPORTED)', async () => {
  const result = validatePipeline(embedPipeline('text-embedding-3-small'), createRegistry());
  assert.equal(result.ok, false);
  const errors = result.ok ? [] : result.errors;
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.equal(errors[0]!.code, 'PARAMS_INVALID');
  assert.equal(errors[0]!.nodeId, 'vectors');
  assert.match(errors[0]!.message, /Node "vectors": model "text-embedding-3-small" embeds text only/);
  assert.ok(validatePipeline(embedPipeline('clip', 'compatible'), createRegistry()).ok, 'a CLIP model passes');

  const image = await env.put(await solid(16, 16, '#ff0000').png().toBuffer());
  const err = await nodeError(runNode(embedNode, { texts: ['a'], images: [image] }, {}, env.context()));
  assert.equal(err.code, 'CAPABILITY_UNSUPPORTED');
  assert.equal(err.options.retryable ?? false, false);
  assert.match(err.message, /"openai".*"text-embedding-3-small".*cannot embed images/);
  // A model the static check does not know is still refused when the provider says it is text only.
  const unknown = await nodeError(runNode(embedNode, { images: [image] }, { provider: 'compatible', model: 'my-embedder' }, env.context()));
  assert.equal(unknown.code, 'CAPABILITY_UNSUPPORTED');
  assert.equal(env.fake.requests.length, 0);
});

test('image embeddings with an image-capable model on the compatible provider: texts first, then the images as data URLs', async () => {
  const png = Buffer.concat([await solid(24, 24, '#ff0000').png().toBuffer(), contentMarker('a red square')]);
  const image = await env.put(png, 'red.png');
  const ctx = env.context();
  const out = await runNode(embedNode, { texts: ['a red square', 'a blue circle'], images: [image] }, { provider: 'compatible', model: 'clip' }, ctx);

  const requests = env.fake.requestsTo('embeddings');
  assert.equal(requests.length, 1);
  const body = requests[0]!.json;
  assert.equal(body.model, 'clip');
  assert.equal(body.encoding_format, 'float', 'the compatible dialect asks for floats');
  assert.equal(requests[0]!.auth.present, false, 'no key configured for the compatible server, no credential sent');
  assert.deepEqual(body.input.slice(0, 2), ['a red square', 'a blue circle']);
  assert.equal(body.input[2], `data:image/png;base64,${png.toString('base64')}`);

  const embeddings = out.embeddings as Embedding[];
  assert.equal(embeddings.length, 3);
  assert.ok(embeddings.every((e) => e.model === 'clip'));
  // The fake puts an image on its marker's text: the image lands on "a red square", not on "a blue circle".
  assert.deepEqual(embeddings[2]!.vector, embeddings[0]!.vector);
  assert.notDeepEqual(embeddings[2]!.vector, embeddings[1]!.vector);
  assert.equal(ctx.usage.length, 1);
  assert.equal(ctx.usage[0]!.images, 1);
  assert.equal(ctx.usage[0]!.costUsd, undefined, 'a local server has no price');
});

test('nothing to embed is NODE_INPUT_INVALID', async () => {
  const err = await nodeError(runNode(embedNode, { texts: [] }, {}, env.context()));
  assert.equal(err.code, 'NODE_INPUT_INVALID');
  assert.equal(env.fake.requests.length, 0);
});
