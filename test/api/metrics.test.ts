/** GET /metrics is Prometheus text, needs an API key when auth is on, and counts started runs. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startPipelineRun } from '../../engine/api/runs/run-service.ts';
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';

const echo = {
  format: 'tessera.pipeline/v1',
  name: 'metrics-echo',
  nodes: [
    { id: 'text', type: 'input', params: { name: 'text', kind: 'text' } },
    { id: 'out', type: 'output', params: { name: 'text' } },
  ],
  edges: [{ from: 'text.value', to: 'out.value' }],
} as Pipeline;

let env: ApiEnv;
let key: string;
before(async () => {
  env = await startApiEnv({ authRequired: true });
  key = (await env.deps.store.createApiKey('metrics test')).secret;
});
after(async () => env?.close());

/** The value of a sample line such as `tessera_runs_started_total{trigger="api"} 2`, or 0 when absent. */
function sample(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

test('/metrics needs an API key when auth is on', async () => {
  const refused = await env.request('GET', '/api/v1/metrics');
  assert.equal(refused.status, 401);
  assert.equal(refused.json.error.code, 'UNAUTHORIZED');
});

test('/metrics is Prometheus text and counts started runs by trigger', async () => {
  const before = await env.request('GET', '/api/v1/metrics', { token: key });
  assert.equal(before.status, 200);
  assert.match(before.headers.get('content-type') ?? '', /^text\/plain/);
  assert.match(before.text, /^# HELP tessera_runs_started_total /m);
  assert.match(before.text, /^# TYPE tessera_runs_started_total counter$/m);
  assert.match(before.text, /^# TYPE tessera_node_duration_seconds histogram$/m);
  const startedBefore = sample(before.text, 'tessera_runs_started_total', 'trigger="api"');

  const { pipeline } = await env.deps.store.createPipeline(echo);
  await startPipelineRun(env.deps, { pipelineId: pipeline.id, inputs: { text: 'hi' }, trigger: { type: 'api' } });

  const afterRun = await env.request('GET', '/api/v1/metrics', { token: key });
  const startedAfter = sample(afterRun.text, 'tessera_runs_started_total', 'trigger="api"');
  assert.ok(startedAfter > 0, afterRun.text.split('\n').filter((l) => l.includes('tessera_runs')).join('\n'));
  assert.equal(startedAfter, startedBefore + 1);
});
