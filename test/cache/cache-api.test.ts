/** The output cache through the HTTP API: stats, clearing (all or one node type), and a run's `cache` mode checked. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';
import { greetingPipeline, savePipeline } from '../support/api-runs.ts';

let env: ApiEnv;
before(async () => {
  env = await startApiEnv();
});
after(async () => env?.close());

test('GET /cache counts the entries; DELETE /cache clears one node type, then all', async () => {
  const key = (n: number) => n.toString(16).padStart(64, '0');
  await env.deps.cache.put(key(1), { outputs: { text: 'a' }, type: 'llm' });
  await env.deps.cache.put(key(2), { outputs: { text: 'b' }, type: 'transcribe' });
  const stats = await env.request('GET', '/api/v1/cache');
  assert.equal(stats.status, 200);
  assert.equal(stats.json.entries, 2);
  assert.ok(stats.json.bytes > 0 && stats.json.maxBytes > stats.json.bytes);
  assert.deepEqual((await env.request('DELETE', '/api/v1/cache?type=llm')).json, { removed: 1 });
  assert.equal(await env.deps.cache.get(key(1)), undefined);
  assert.deepEqual((await env.request('DELETE', '/api/v1/cache')).json, { removed: 1 });
  assert.equal((await env.request('GET', '/api/v1/cache')).json.entries, 0);
});

test('a run asks for a cache mode; an unknown one is a coded 400 that starts nothing', async () => {
  const id = await savePipeline(env, greetingPipeline);
  const before = (await env.request('GET', `/api/v1/runs?pipelineId=${id}`)).json.items.length;
  const bad = await env.request('POST', `/api/v1/pipelines/${id}/runs`, { body: { inputs: { who: 'x' }, cache: 'sometimes' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.code, 'REQUEST_INVALID');
  assert.match(bad.json.error.message, /cache/);
  assert.equal((await env.request('GET', `/api/v1/runs?pipelineId=${id}`)).json.items.length, before);
});
