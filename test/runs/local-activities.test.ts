/**
 * Cheap nodes (text-template, json-pick, join, similarity) run as Temporal local activities: in the
 * workflow's worker, recorded as markers, with no activity task through the server; `options.local`
 * overrides the node type either way, and a node on another pool stays regular. Run from a node still
 * finds their outputs in the earlier run's history.
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
  return {
    markers: events.filter((e) => e.markerRecordedEventAttributes).length,
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
  assert.equal(history.markers, 2, 'one local-activity marker per template node');
  // Their outputs are recorded like any node's.
  assert.deepEqual((await env.request('GET', `/api/v1/runs/${run.json.id}/nodes/hello/outputs`)).json.outputs, { text: 'Hello, Ada!' });
  // And an earlier run read from its history names them (CLI's run from here).
  const { earlier } = await earlierRunFromHistory(env.deps.client, run.json.id);
  assert.deepEqual(await earlier.outputs('hello'), { text: 'Hello, Ada!' });
  assert.equal(earlier.states.again.status, 'succeeded');
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
