/** The output cache's parts: the key, the policy of which nodes use it, and the store on disk. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { cacheKey, canonicalJson } from '../../engine/cache/cache-key.ts';
import { nodeCacheUse } from '../../engine/cache/cache-policy.ts';
import { FsNodeCache } from '../../engine/cache/fs-node-cache.ts';

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

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const folder = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-cache-'));
  dirs.push(dir);
  return dir;
};
const key = (n: number) => n.toString(16).padStart(64, '0');

test('entries are stored, read back, cleared by type, and counted', async () => {
  const cache = new FsNodeCache(folder());
  assert.equal(await cache.get(key(1)), undefined);
  await cache.put(key(1), { outputs: { text: 'hello' }, type: 'llm', usage: [{ provider: 'openai', model: 'm', costUsd: 0.01 }] });
  await cache.put(key(2), { outputs: { json: { a: 1 } }, type: 'extract-json' });
  assert.deepEqual(await cache.get(key(1)), { outputs: { text: 'hello' }, type: 'llm', usage: [{ provider: 'openai', model: 'm', costUsd: 0.01 }] });
  assert.equal((await cache.stats()).entries, 2);
  assert.equal(await cache.clear('llm'), 1);
  assert.equal(await cache.get(key(1)), undefined);
  assert.ok(await cache.get(key(2)));
  assert.equal(await cache.clear(), 1);
  assert.deepEqual(await cache.stats(), { entries: 0, bytes: 0, maxBytes: cache.maxBytes });
  await assert.rejects(cache.get('../../etc/passwd'), /Not a cache key/);
});

test('past the size bound the least recently used entries go first', async () => {
  const dir = folder();
  const entry = (i: number) => ({ outputs: { text: `value ${i} `.padEnd(400, '.') }, type: 't' });
  const cache = new FsNodeCache(dir, 2000); // about four entries
  for (let i = 1; i <= 4; i++) await cache.put(key(i), entry(i));
  // Entry 1 is the oldest written, but the most recently used.
  const old = (Date.now() - 60_000) / 1000;
  for (let i = 1; i <= 4; i++) utimesSync(path.join(dir, key(i).slice(0, 2), `${key(i)}.json`), old + i, old + i);
  await cache.get(key(1));
  for (let i = 5; i <= 6; i++) await cache.put(key(i), entry(i));
  await cache.evict();
  const left = readdirSync(path.join(dir, '00')).map((f) => f.slice(0, 64)).sort();
  assert.ok((await cache.stats()).bytes <= 2000);
  assert.ok(left.includes(key(1)), 'the entry just used stayed');
  assert.ok(!left.includes(key(2)), 'the least recently used went');
  assert.ok(left.includes(key(6)), 'the newest stayed');
});
