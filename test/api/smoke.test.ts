/** The API answers health, readiness, the catalog and its OpenAPI document, with coded 404s. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';

let env: ApiEnv;
before(async () => {
  env = await startApiEnv();
});
after(async () => env?.close());

test('health and readiness answer without a key', async () => {
  assert.deepEqual((await env.request('GET', '/api/v1/health')).json, { status: 'ok' });
  assert.deepEqual((await env.request('GET', '/api/v1/ready')).json, { ready: true });
});

test('the node catalog lists built-in nodes with params JSON Schema', async () => {
  const { status, json } = await env.request('GET', '/api/v1/node-types');
  assert.equal(status, 200);
  const transcribe = json.items.find((n: any) => n.type === 'transcribe');
  assert.equal(transcribe.inputs.audio.kind, 'audio');
  assert.equal(transcribe.paramsSchema.type, 'object');
});

test('the OpenAPI 3.1 document describes the endpoints', async () => {
  const { status, json } = await env.request('GET', '/api/v1/openapi.json');
  assert.equal(status, 200);
  assert.equal(json.openapi, '3.1.0');
  assert.ok(json.paths['/api/v1/node-types']);
});

test('unknown endpoints answer a coded 404', async () => {
  const { status, json } = await env.request('GET', '/api/v1/nope');
  assert.equal(status, 404);
  assert.equal(json.error.code, 'NOT_FOUND');
});
