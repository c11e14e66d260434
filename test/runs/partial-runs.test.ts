/**
 * Pinned outputs and partial runs through the API, against a real Temporal dev server and worker. Test
 * nodes journal every execution, so "did not run" is checked on what ran, not on what was reported.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';
import { savePipeline } from '../support/api-runs.ts';

let env: ApiEnv;
const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-partial-'));
const journal = path.join(dir, 'journal.jsonl');
before(async () => {
  env = await startApiEnv();
});
after(async () => {
  await env?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** who -> c1 -> c2 -> out; side -> c3 -> out2 (a branch "run to c1" leaves out). */
const chain = (extra: Partial<Record<string, object>> = {}): Pipeline => ({
  format: 'tessera.pipeline/v1',
  name: 'chain',
  nodes: [
    { id: 'who', type: 'input', params: { name: 'who', kind: 'text' } },
    { id: 'side', type: 'input', params: { name: 'side', kind: 'text' } },
    { id: 'c1', type: 'test-count', params: { journal }, ...extra.c1 },
    { id: 'c2', type: 'test-count', params: { journal }, ...extra.c2 },
    { id: 'c3', type: 'test-count', params: { journal }, ...extra.c3 },
    { id: 'out', type: 'output', params: { name: 'out' } },
    { id: 'out2', type: 'output', params: { name: 'out2' } },
  ],
  edges: [
    { from: 'who.value', to: 'c1.in' },
    { from: 'c1.out', to: 'c2.in' },
    { from: 'c2.out', to: 'out.value' },
    { from: 'side.value', to: 'c3.in' },
    { from: 'c3.out', to: 'out2.value' },
  ],
});

const ran = (): string[] => (existsSync(journal) ? readFileSync(journal, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).node) : []);
async function start(pipelineId: string, body: object) {
  const response = await env.request('POST', `/api/v1/pipelines/${pipelineId}/runs?wait=60`, { body });
  return response;
}

test('run from a node reuses the upstream outputs of an earlier run and runs that node and what follows', async () => {
  const id = await savePipeline(env, chain());
  const first = await start(id, { inputs: { who: 'Ada:', side: 'S:' } });
  assert.equal(first.status, 200, first.text);
  assert.deepEqual(first.json.outputs, { out: 'Ada:c1;c2;', out2: 'S:c3;' });
  const before = ran().length;

  const again = await start(id, { fromRun: first.json.id, from: 'c2' });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.json.status, 'succeeded');
  assert.deepEqual(again.json.outputs, { out: 'Ada:c1;c2;', out2: 'S:c3;' }, 'the earlier run\'s inputs are the defaults');
  assert.deepEqual(ran().slice(before).sort(), ['c2', 'c3'], 'c1 did not run; c2 and the other branch did');
  assert.deepEqual(again.json.nodes.c1.pinned, { runId: first.json.id, nodeId: 'c1' }, 'the run records where c1\'s values came from');
  assert.equal(again.json.nodes.c2.pinned, undefined);
  // The reused node's outputs are the run's own, like any node's.
  assert.deepEqual((await env.request('GET', `/api/v1/runs/${again.json.id}/nodes/c1/outputs`)).json.outputs, { out: 'Ada:c1;' });
  // New inputs win over the earlier run's.
  const other = await start(id, { fromRun: first.json.id, from: 'c2', inputs: { side: 'T:' } });
  assert.equal(other.json.outputs.out2, 'T:c3;');
});

test('run to a node runs only it and what it needs', async () => {
  const id = await savePipeline(env, chain());
  const before = ran().length;
  const run = await start(id, { to: 'c1', inputs: { who: 'Bo:' } });
  assert.equal(run.status, 200, run.text);
  assert.equal(run.json.status, 'succeeded');
  assert.deepEqual(ran().slice(before), ['c1']);
  assert.deepEqual(Object.keys(run.json.nodes).sort(), ['c1', 'who'], 'only what c1 needs is in the run (no "side" input asked for)');
  assert.deepEqual((await env.request('GET', `/api/v1/runs/${run.json.id}/nodes/c1/outputs`)).json.outputs, { out: 'Bo:c1;' });
});

test('partial runs refuse what cannot be right, with coded errors, and start nothing', async () => {
  const id = await savePipeline(env, chain());
  const first = await start(id, { inputs: { who: 'Cy:', side: 'S:' } });
  const runsBefore = (await env.request('GET', `/api/v1/runs?pipelineId=${id}`)).json.items.length;
  const cases: [object, number, string, RegExp][] = [
    [{ from: 'c2' }, 400, 'REQUEST_INVALID', /go together/],
    [{ fromRun: first.json.id, from: 'nope' }, 404, 'RUN_NODE_NOT_FOUND', /no node "nope"/],
    [{ to: 'nope' }, 404, 'RUN_NODE_NOT_FOUND', /no node "nope"/],
    [{ fromRun: 'run-nope', from: 'c2' }, 404, 'RUN_NOT_FOUND', /run-nope/],
    [{ fromRun: first.json.id, from: 'c2', to: 'c1' }, 400, 'REQUEST_INVALID', /not both/],
  ];
  for (const [body, status, code, message] of cases) {
    const response = await start(id, body);
    assert.equal(response.status, status, JSON.stringify(body));
    assert.equal(response.json.error.code, code, JSON.stringify(body));
    assert.match(response.json.error.message, message);
  }
  // An upstream node changed since the earlier run: its old outputs cannot stand for it.
  const changed = chain({ c1: { params: { journal, extra: 1 } } });
  changed.nodes.find((n) => n.id === 'c1')!.params = { journal: `${journal}.other` };
  assert.equal((await env.request('PUT', `/api/v1/pipelines/${id}`, { body: changed })).status, 200);
  const stale = await start(id, { fromRun: first.json.id, from: 'c2' });
  assert.equal(stale.status, 400);
  assert.match(stale.json.error.message, /Node "c1" .* is not the same as in run/);
  // Another pipeline's run.
  const otherId = await savePipeline(env, chain());
  const foreign = await start(otherId, { fromRun: first.json.id, from: 'c2' });
  assert.equal(foreign.status, 400);
  assert.match(foreign.json.error.message, /another pipeline/);
  assert.equal((await env.request('GET', `/api/v1/runs?pipelineId=${id}`)).json.items.length, runsBefore, 'no run started');
});

test('pinned outputs in the file: the node and what only feeds it do not run; pins are checked against the ports', async () => {
  const pinned = chain({ c1: { pinned: { outputs: { out: 'PINNED;' } } } });
  const id = await savePipeline(env, pinned);
  const before = ran().length;
  const run = await start(id, { inputs: { side: 'S:' } });
  assert.equal(run.status, 200, run.text);
  assert.deepEqual(run.json.outputs, { out: 'PINNED;c2;', out2: 'S:c3;' }, 'no "who" needed: it only fed the pinned node');
  assert.deepEqual(ran().slice(before).sort(), ['c2', 'c3']);
  assert.equal(run.json.nodes.c1.pinned, true);

  for (const [pin, message] of [
    [{ outputs: { nope: 'x' } }, /no output "nope" to pin/],
    [{ outputs: { out: 42 } }, /"c1.out" is not text/],
  ] as const) {
    const response = await env.request('POST', '/api/v1/pipelines/validate', { body: chain({ c1: { pinned: pin } }) });
    assert.equal(response.json.valid, false);
    assert.equal(response.json.errors[0].code, 'PIN_INVALID');
    assert.equal(response.json.errors[0].nodeId, 'c1');
    assert.match(response.json.errors[0].message, message);
  }
  const onInput = chain({ who: {} });
  onInput.nodes[0] = { ...onInput.nodes[0], pinned: { outputs: { value: 'x' } } };
  const refused = await env.request('POST', '/api/v1/pipelines/validate', { body: onInput });
  assert.match(refused.json.errors[0].message, /only nodes that run can have pinned outputs/);
});
