/**
 * Provider failures as a node sees them: one HTTP request per attempt (Temporal is the only retry
 * layer), classified into NodeErrors that say whether and when to retry, with no key in the message.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { captionNode } from '../../nodes/caption/index.ts';
import { embedNode } from '../../nodes/embed/index.ts';
import { extractJsonNode } from '../../nodes/extract-json/index.ts';
import { nodeError, runNode, startNodeEnv, TEST_KEYS, type NodeEnv } from '../support/node-harness.ts';
import { solid } from '../media/helpers.ts';
import type { BlobRef } from '../../engine/blob/ref.ts';

let env: NodeEnv;
let image: BlobRef;
before(async () => {
  env = await startNodeEnv();
  image = await env.put(await solid(16, 16, '#abcdef').png().toBuffer());
});
beforeEach(() => env.fake.reset());
after(() => env.close());

test('caption: a 429 with Retry-After: 7 is PROVIDER_RATE_LIMITED, retryable, retryAfterMs 7000, after exactly one request', async () => {
  env.fake.fault('chat', 'rate-limit', { retryAfter: 7 });
  const ctx = env.context();
  const err = await nodeError(runNode(captionNode, { image }, {}, ctx));
  assert.equal(err.code, 'PROVIDER_RATE_LIMITED');
  assert.equal(err.options.retryable, true);
  assert.equal(err.options.retryAfterMs, 7000);
  assert.match(err.message, /openai model "gpt-4o" \(chat\): rate limited\. Retry after 7 s\./);
  assert.equal(env.fake.requests.length, 1, 'the SDK must not retry on its own');
  assert.equal(ctx.usage.length, 0, 'a failed call records no usage');

  // The next attempt (what Temporal would run after 7 s) succeeds.
  const out = await runNode(captionNode, { image }, {}, env.context());
  assert.match(out.text as string, /^echo:/);
  assert.equal(env.fake.requests.length, 2);
});

test('caption: retry-after-ms wins; Anthropic 429s carry Retry-After too', async () => {
  env.fake.fault('chat', 'rate-limit', { retryAfterMs: 1500 });
  const openai = await nodeError(runNode(captionNode, { image }, {}, env.context()));
  assert.deepEqual([openai.code, openai.options.retryAfterMs], ['PROVIDER_RATE_LIMITED', 1500]);

  env.fake.fault('messages', 'rate-limit', { retryAfter: 3 });
  const anthropic = await nodeError(runNode(captionNode, { image }, { provider: 'anthropic', model: 'claude-haiku-4-5' }, env.context()));
  assert.deepEqual([anthropic.code, anthropic.options.retryable, anthropic.options.retryAfterMs], ['PROVIDER_RATE_LIMITED', true, 3000]);
  assert.equal(env.fake.requests.length, 2);
});

test('caption: a 401 is PROVIDER_AUTH_FAILED, not retryable, naming provider and model, never the key', async () => {
  env.fake.fault('chat', 'status', { status: 401 });
  const err = await nodeError(runNode(captionNode, { image }, { model: 'gpt-4o-mini' }, env.context()));
  assert.equal(err.code, 'PROVIDER_AUTH_FAILED');
  assert.equal(err.options.retryable, false);
  assert.match(err.message, /\bopenai\b/);
  assert.match(err.message, /"gpt-4o-mini"/);
  assert.match(err.message, /401/);
  // The fake echoes the key it received in its 401 message, as real providers partly do.
  assert.equal(env.fake.requests[0]!.rawKey, TEST_KEYS.openai);
  assert.ok(!err.message.includes(TEST_KEYS.openai), err.message);
  assert.ok(!err.message.includes(TEST_KEYS.openai.slice(0, 20)), err.message);
  assert.ok(!JSON.stringify(err.options.details).includes(TEST_KEYS.openai), 'details are key-free too');
  assert.equal(env.fake.requests.length, 1);

  env.fake.fault('messages', 'status', { status: 401 });
  const claude = await nodeError(runNode(captionNode, { image }, { provider: 'anthropic', model: 'claude-sonnet-4-5' }, env.context()));
  assert.equal(claude.code, 'PROVIDER_AUTH_FAILED');
  assert.match(claude.message, /anthropic model "claude-sonnet-4-5"/);
  assert.ok(!claude.message.includes(TEST_KEYS.anthropic), claude.message);
});

test('a 5xx is retryable PROVIDER_UNAVAILABLE after one request; a dropped connection too', async () => {
  env.fake.fault('embeddings', 'server-error', { status: 503 });
  const err = await nodeError(runNode(embedNode, { texts: ['a', 'b'] }, {}, env.context()));
  assert.deepEqual([err.code, err.options.retryable], ['PROVIDER_UNAVAILABLE', true]);
  assert.equal(env.fake.requests.length, 1);

  env.fake.fault('chat', 'drop');
  const dropped = await nodeError(runNode(captionNode, { image }, {}, env.context()));
  assert.deepEqual([dropped.code, dropped.options.retryable], ['PROVIDER_UNAVAILABLE', true]);
  assert.equal(env.fake.requests.length, 2);
});

test('extract-json: a provider failure during the repair turn is reported as that failure, not as invalid output', async () => {
  env.fake.script('chat', { value: { wrong: true } });
  env.fake.fault('chat', 'rate-limit', { retryAfter: 2 });
  const err = await nodeError(runNode(extractJsonNode, { text: 'x' }, { preset: 'document-fields' }, env.context()));
  assert.deepEqual([err.code, err.options.retryable, err.options.retryAfterMs], ['PROVIDER_RATE_LIMITED', true, 2000]);
  assert.equal(env.fake.requests.length, 2);
});
