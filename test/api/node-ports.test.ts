/**
 * POST /node-types/ports, the editor's source of sockets: a mapped node's ports are lists (plus
 * itemErrors when failed items go on), and a sub-pipeline node's ports are its saved child's inputs and
 * outputs (an unknown child is an error for that node only).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';

let env: ApiEnv;
before(async () => {
  env = await startApiEnv();
});
after(async () => env?.close());

const ports = async (nodes: unknown[]) => {
  const response = await env.request('POST', '/api/v1/node-types/ports', { body: { nodes } });
  assert.equal(response.status, 200, response.text);
  return response.json.items;
};

test('a mapped node takes a list on its mapped port and gives lists', async () => {
  const items = await ports([
    { id: 'plain', type: 'json-pick', params: { path: 'a' } },
    { id: 'each', type: 'json-pick', params: { path: 'a' }, map: { port: 'json', onItemError: 'continue' } },
  ]);
  assert.equal(items.plain.inputs.json.kind, 'json');
  assert.equal(items.each.inputs.json.kind, 'json[]');
  assert.equal(items.each.outputs.text.kind, 'text[]');
  assert.equal(items.each.outputs.itemErrors.kind, 'json');
});

test('a sub-pipeline node has its saved child\'s inputs and outputs as ports', async () => {
  const greeting = JSON.parse(readFileSync(new URL('../../examples/greeting.pipeline.json', import.meta.url), 'utf8'));
  const created = await env.request('POST', '/api/v1/pipelines', { body: greeting });
  assert.equal(created.status, 201, created.text);
  const items = await ports([
    { id: 'sub', type: 'pipeline', params: { pipeline: created.json.pipeline.id } },
    { id: 'missing', type: 'pipeline', params: { pipeline: 'no-such-pipeline' } },
    { id: 'unchosen', type: 'pipeline', params: {} },
  ]);
  const inputNames = greeting.nodes.filter((n: { type: string }) => n.type === 'input').map((n: { params: { name: string } }) => n.params.name);
  const outputNames = greeting.nodes.filter((n: { type: string }) => n.type === 'output').map((n: { params: { name: string } }) => n.params.name);
  assert.deepEqual(Object.keys(items.sub.inputs).sort(), inputNames.sort());
  assert.deepEqual(Object.keys(items.sub.outputs).sort(), outputNames.sort());
  assert.match(items.missing.error, /No saved pipeline "no-such-pipeline"/);
  assert.deepEqual(items.unchosen, { inputs: {}, outputs: {} });
});
