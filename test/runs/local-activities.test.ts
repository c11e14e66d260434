/**
 * Cheap nodes (text-template, json-pick, join, similarity) run as Temporal local activities: in the
 * workflow's worker, recorded as markers, with no activity task through the server; `options.local`
 * overrides the node type either way, and a node on another pool stays regular. Consecutive cheap nodes
 * run as one chain (one local activity, one marker); a node that fails in a chain runs again on its own.
 * Run from a node still finds their outputs in the earlier run's history.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import { earlierRunFromHistory } from '../../engine/run/earlier-run.ts';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';
import { savePipeline } from '../support/api-runs.ts';

let env: ApiEnv;
before(async () => {
  env = await startApiEnv();
});
after(async () => env?.close());

const greet = (options: Record<string, unknown> = {}): Pipeline => ({
  format: 'tessera.pipeline/v1',
  name: 'local-greeting',
  nodes: [
    { id: 'who', type: 'input', params: { name: 'who', kind: 'text' } },
    { id: 'hello', type: 'text-template', params: { template: 'Hello, {{name}}!' }, options },
    { id: 'again', type: 'text-template', params: { template: '{{text}} Again.' } },
    { id: 'out', type: 'output', params: { name: 'message' } },
  ],
  edges: [
    { from: 'who.value', to: 'hello.name' },
    { from: 'hello.text', to: 'again.text' },
    { from: 'again.text', to: 'out.value' },
  ],
});

async function historyOf(runId: string) {
  const events = (await env.deps.client.workflow.getHandle(runId).fetchHistory()).events ?? [];
  const markers = events.map((e) => e.markerRecordedEventAttributes?.markerName).filter((name): name is string => !!name);
  return {
    // Local activities' markers (the chain patch's own marker is not one).
    markers: markers.filter((name) => name !== 'core_patch').length,
    patched: markers.includes('core_patch'),
    scheduled: events.map((e) => e.activityTaskScheduledEventAttributes?.activityId).filter((id): id is string => !!id),
  };
}

test('template nodes run as local activities: markers in history, no activity task', async () => {
  const id = await savePipeline(env, greet());
  const run = await env.request('POST', `/api/v1/pipelines/${id}/runs?wait=60`, { body: { inputs: { who: 'Ada' } } });
  assert.equal(run.status, 200, run.text);
  assert.equal(run.json.outputs.message, 'Hello, Ada! Again.');
  const history = await historyOf(run.json.id);
  assert.deepEqual(history.scheduled, [], 'no activity went through the server');
  assert.equal(history.markers, 1, 'the two template nodes ran as one chain: one local activity');
  // Their outputs are recorded like any node's.
  assert.deepEqual((await env.request('GET', `/api/v1/runs/${run.json.id}/nodes/hello/outputs`)).json.outputs, { text: 'Hello, Ada!' });
  // And an earlier run read from its history names them (CLI's run from here).
  const { earlier } = await earlierRunFromHistory(env.deps.client, run.json.id);
  assert.deepEqual(await earlier.outputs('hello'), { text: 'Hello, Ada!' });
  assert.equal(earlier.states.again.status, 'succeeded');
  assert.deepEqual(await earlier.outputs('again'), { text: 'Hello, Ada! Again.' });
});

test('options.local: false makes one a regular activity; a node on another pool is never local', async () => {
  const id = await savePipeline(env, greet({ local: false }));
  const run = await env.request('POST', `/api/v1/pipelines/${id}/runs?wait=60`, { body: { inputs: { who: 'Bo' } } });
  assert.equal(run.json.outputs.message, 'Hello, Bo! Again.');
  const history = await historyOf(run.json.id);
  assert.deepEqual(history.scheduled, ['hello']);
  assert.equal(history.markers, 1);

  const valid = await env.request('POST', '/api/v1/pipelines/validate', { body: greet({ local: true, pool: 'gpu' }) });
  assert.equal(valid.json.valid, true);
  const { compilePlan } = await import('../../engine/run/plan.ts');
  const { validatePipeline } = await import('../../engine/pipeline/validate.ts');
  const checked = validatePipeline(greet({ local: true, pool: 'gpu' }), env.deps.registry);
  assert.ok(checked.ok);
  const plan = compilePlan(checked.value, 'q');
  assert.equal(plan.nodes.find((n) => n.id === 'hello')!.activity.local, undefined, 'the gpu pool runs it: not local');
  assert.equal(plan.nodes.find((n) => n.id === 'again')!.activity.local, true);
});

/** input -> pick -> (hello, shout) -> join -> out, all cheap; `pick` reads a path given as an input. */
const fanIn: Pipeline = {
  format: 'tessera.pipeline/v1',
  name: 'cheap-fan-in',
  nodes: [
    { id: 'doc', type: 'input', params: { name: 'doc', kind: 'json' } },
    { id: 'pick', type: 'json-pick', params: { path: 'person.name' } },
    { id: 'hello', type: 'text-template', params: { template: 'Hello, {{name}}.' } },
    { id: 'shout', type: 'text-template', params: { template: '{{name}}!' } },
    { id: 'both', type: 'join', params: { separator: ' / ' } },
    { id: 'out', type: 'output', params: { name: 'text' } },
  ],
  edges: [
    { from: 'doc.value', to: 'pick.json' },
    { from: 'pick.text', to: 'hello.name' },
    { from: 'pick.text', to: 'shout.name' },
    { from: 'hello.text', to: 'both.items' },
    { from: 'shout.text', to: 'both.items' },
    { from: 'both.text', to: 'out.value' },
  ],
};

test('a chain of cheap nodes with a fan-in runs as one local activity; each node keeps its state and outputs', async () => {
  const id = await savePipeline(env, fanIn);
  const run = await env.request('POST', `/api/v1/pipelines/${id}/runs?wait=60`, { body: { inputs: { doc: { person: { name: 'Ada' } } } } });
  assert.equal(run.status, 200, run.text);
  assert.equal(run.json.outputs.text, 'Hello, Ada. / Ada!', 'the join read its list in edge order');
  const history = await historyOf(run.json.id);
  assert.equal(history.markers, 1, 'pick, hello, shout and both in one local activity');
  assert.ok(history.patched, 'the chain is behind a workflow patch (older runs replay node by node)');
  const nodes = (await env.request('GET', `/api/v1/runs/${run.json.id}`)).json.nodes as Record<string, { status: string; attempt?: number }>;
  for (const nodeId of ['pick', 'hello', 'shout', 'both']) {
    assert.equal(nodes[nodeId].status, 'succeeded', nodeId);
    assert.equal(nodes[nodeId].attempt, 1, nodeId);
  }
  assert.deepEqual((await env.request('GET', `/api/v1/runs/${run.json.id}/nodes/shout/outputs`)).json.outputs, { text: 'Ada!' });
});

test('a node that fails in a chain fails the run with its own code; the nodes before it succeeded', async () => {
  const id = await savePipeline(env, fanIn);
  const run = await env.request('POST', `/api/v1/pipelines/${id}/runs?wait=60`, { body: { inputs: { doc: { someone: 'else' } } } });
  assert.equal(run.json.status, 'failed', run.text);
  assert.equal(run.json.error.code, 'NODE_FAILED');
  assert.equal(run.json.error.nodeId, 'pick');
  const nodes = (await env.request('GET', `/api/v1/runs/${run.json.id}`)).json.nodes as Record<string, { status: string; error?: { code: string } }>;
  assert.equal(nodes.pick.status, 'failed');
  assert.equal(nodes.pick.error?.code, 'PATH_NOT_FOUND');
  for (const nodeId of ['hello', 'shout', 'both']) assert.notEqual(nodes[nodeId].status, 'succeeded', nodeId);
  // The chain stopped at pick (one marker), then pick ran on its own with its retry policy (a second one).
  assert.equal((await historyOf(run.json.id)).markers, 2);
});

test('a chain that fails in its middle keeps what ran before, and runs the failed node on its own', async () => {
  const doc: Pipeline = {
    ...fanIn,
    name: 'cheap-chain-fails-late',
    nodes: [...fanIn.nodes.filter((n) => n.id !== 'pick'), { id: 'pick', type: 'json-pick', params: { path: 'person' } }, { id: 'deep', type: 'json-pick', params: { path: 'name.first' } }],
    edges: [...fanIn.edges.filter((e) => e.from !== 'pick.text'), { from: 'pick.value', to: 'deep.json' }, { from: 'deep.text', to: 'hello.name' }, { from: 'deep.text', to: 'shout.name' }],
  };
  const id = await savePipeline(env, doc);
  const run = await env.request('POST', `/api/v1/pipelines/${id}/runs?wait=60`, { body: { inputs: { doc: { person: { name: 'Ada' } } } } });
  assert.equal(run.json.status, 'failed', run.text);
  assert.equal(run.json.error.nodeId, 'deep');
  const nodes = (await env.request('GET', `/api/v1/runs/${run.json.id}`)).json.nodes as Record<string, { status: string; error?: { code: string } }>;
  assert.equal(nodes.pick.status, 'succeeded', 'pick ran in the chain before deep failed');
  assert.equal(nodes.deep.status, 'failed');
  assert.equal(nodes.deep.error?.code, 'PATH_NOT_FOUND');
  assert.deepEqual((await env.request('GET', `/api/v1/runs/${run.json.id}/nodes/pick/outputs`)).json.outputs, { value: { name: 'Ada' }, text: '{"name":"Ada"}' });
});

test('a chain whose outputs grow large stops, and the rest runs in the next local activity', async () => {
  // Each node passes on a 30 KB text (under the 32 KiB spill threshold, so it stays inline): twelve of them
  // are 360 KB of outputs, over the 256 KiB one chain's marker may carry.
  const nodes: Pipeline['nodes'] = [{ id: 'text', type: 'input', params: { name: 'text', kind: 'text' } }];
  const edges: Pipeline['edges'] = [];
  for (let i = 1; i <= 12; i += 1) {
    nodes.push({ id: `t${i}`, type: 'text-template', params: { template: '{{text}}' } });
    edges.push({ from: i === 1 ? 'text.value' : `t${i - 1}.text`, to: `t${i}.text` });
  }
  nodes.push({ id: 'out', type: 'output', params: { name: 'text' } });
  edges.push({ from: 't12.text', to: 'out.value' });
  const id = await savePipeline(env, { format: 'tessera.pipeline/v1', name: 'large-chain', nodes, edges });
  const text = 'x'.repeat(30_000);
  const run = await env.request('POST', `/api/v1/pipelines/${id}/runs?wait=60`, { body: { inputs: { text } } });
  assert.equal(run.status, 200, run.text);
  assert.equal(run.json.outputs.text, text);
  assert.equal((await historyOf(run.json.id)).markers, 2, 'nine nodes in the first chain (270 KB), three in the second');
});
