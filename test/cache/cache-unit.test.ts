/** The output cache's parts: the key, and the policy of which nodes use it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cacheKey, canonicalJson } from '../../engine/cache/cache-key.ts';
import { nodeCacheUse } from '../../engine/cache/cache-policy.ts';

const blob = (sha: string, name?: string) => ({ sha256: sha.repeat(64), mime: 'audio/ogg', size: 10, ...(name ? { name } : {}) });
const base = { type: 'transcribe', version: 1, params: { provider: 'openai', model: 'whisper-1', language: 'en' }, inputs: { audio: blob('a') } };

test('the key depends on type, version, params and input content, not on key order or blob names', () => {
  const key = cacheKey(base);
  assert.match(key, /^[0-9a-f]{64}$/);
  assert.equal(cacheKey({ ...base, params: { language: 'en', model: 'whisper-1', provider: 'openai' } }), key, 'param order');
  assert.equal(cacheKey({ ...base, inputs: { audio: blob('a', 'renamed.ogg') } }), key, 'a blob is its bytes');
  for (const other of [
    { ...base, version: 2 },
    { ...base, type: 'caption' },
    { ...base, params: { ...base.params, model: 'gpt-4o-transcribe' } },
    { ...base, inputs: { audio: blob('b') } },
    { ...base, inputs: { audio: blob('a'), prompt: 'x' } },
  ]) assert.notEqual(cacheKey(other), key);
  // A large value is its JSON's hash; two markers of the same JSON are the same input.
  const spilled = (sha: string) => ({ $spilled: { sha256: sha.repeat(64), mime: 'application/json', size: 40_000 } });
  assert.equal(cacheKey({ ...base, inputs: { text: spilled('c') } }), cacheKey({ ...base, inputs: { text: spilled('c') } }));
  assert.notEqual(cacheKey({ ...base, inputs: { text: spilled('c') } }), cacheKey({ ...base, inputs: { text: spilled('d') } }));
  assert.equal(canonicalJson({ b: [1, { d: 1, c: undefined }], a: null }), '{"a":null,"b":[1,{"d":1}]}');
});

test('which nodes read and write the cache', () => {
  const deterministic = { cacheable: true, usesProviders: false };
  const provider = { cacheable: true, usesProviders: true };
  const never = { cacheable: false, usesProviders: false };
  assert.equal(nodeCacheUse(deterministic), 'rw');
  assert.equal(nodeCacheUse(provider), undefined, 'AI calls are cached only when asked');
  assert.equal(nodeCacheUse({ ...provider, pipelineCache: true }), 'rw');
  assert.equal(nodeCacheUse({ ...provider, pipelineCache: true, nodeCache: false }), undefined, 'the node says never');
  assert.equal(nodeCacheUse({ ...provider, nodeCache: true }), 'rw');
  assert.equal(nodeCacheUse(provider, 'on'), 'rw');
  assert.equal(nodeCacheUse(provider, 'refresh'), 'w');
  assert.equal(nodeCacheUse(deterministic, 'off'), undefined);
  assert.equal(nodeCacheUse(never, 'on'), undefined, 'side effects are never cached');
  assert.equal(nodeCacheUse({ ...deterministic, nodeCache: false }, 'on'), undefined);
});

// The cache's storage is tested with the store, on SQLite and PostgreSQL (test/store/store-suite.ts).
