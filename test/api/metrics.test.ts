/**
 * GET /metrics is Prometheus text, needs an API key when auth is on, and every metric it declares moves:
 * runs started, runs finished, node durations, provider calls (the last never counted before).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startPipelineRun } from '../../engine/api/runs/run-service.ts';
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';
import { createProviders } from '../../engine/providers/index.ts';
import { startFakeProviders, type FakeProviders } from '../support/fake-provider-server.ts';

const echo = {
  format: 'tessera.pipeline/v1',
  name: 'metrics-echo',
  nodes: [
    { id: 'text', type: 'input', params: { name: 'text', kind: 'text' } },
    { id: 'out', type: 'output', params: { name: 'text' } },
  ],
  edges: [{ from: 'text.value', to: 'out.value' }],
} as Pipeline;

const ask = {
  format: 'tessera.pipeline/v1',
  name: 'metrics-llm',
  nodes: [
    { id: 'ask', type: 'llm', params: { provider: 'openai', model: 'gpt-4o-mini', prompt: 'Say hi.' } },
    { id: 'out', type: 'output', params: { name: 'text' } },
  ],
  edges: [{ from: 'ask.text', to: 'out.value' }],
} as Pipeline;

let env: ApiEnv;
let key: string;
let fake: FakeProviders;
before(async () => {
  fake = await startFakeProviders();
  const providers = createProviders({ OPENAI_API_KEY: 'sk-metrics-test', OPENAI_BASE_URL: fake.openaiBaseURL });
  env = await startApiEnv({ authRequired: true, providers });
  key = (await env.deps.store.createApiKey('metrics test')).secret;
});
after(async () => {
  await env?.close();
  await fake?.close();
});

const metricsText = async () => (await env.request('GET', '/api/v1/metrics', { token: key })).text;

/** One finished run of a provider node, shared by the tests below; each compares the metrics around it. */
let llmRun: Promise<{ before: string; after: string }> | undefined;
function runLlmOnce(): Promise<{ before: string; after: string }> {
  llmRun ??= (async () => {
    const before = await metricsText();
    const { pipeline } = await env.deps.store.createPipeline(ask);
    const run = (await env.request('POST', `/api/v1/pipelines/${pipeline.id}/runs`, { token: key, body: { inputs: {} } })).json;
    let finished = run;
    for (let i = 0; i < 1200 && finished.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      finished = (await env.request('GET', `/api/v1/runs/${run.id}`, { token: key })).json;
    }
    assert.equal(finished.status, 'succeeded', JSON.stringify(finished.error));
    return { before, after: await metricsText() };
  })();
  return llmRun;
}

test('tessera_runs_finished_total counts finished runs by status', async () => {
  const { before, after } = await runLlmOnce();
  assert.equal(sample(after, 'tessera_runs_finished_total', 'status="succeeded"'), sample(before, 'tessera_runs_finished_total', 'status="succeeded"') + 1);
});

test('tessera_node_duration_seconds observes every task node that finished', async () => {
  const { before, after } = await runLlmOnce();
  const labels = 'type="llm",status="succeeded"';
  assert.equal(sample(after, 'tessera_node_duration_seconds_count', labels), sample(before, 'tessera_node_duration_seconds_count', labels) + 1);
});

test('tessera_provider_calls_total counts provider calls by provider and model', async () => {
  const { before, after } = await runLlmOnce();
  const labels = 'provider="openai",model="gpt-4o-mini"';
  assert.equal(sample(after, 'tessera_provider_calls_total', labels), sample(before, 'tessera_provider_calls_total', labels) + 1, after.split('\n').filter((l) => l.startsWith('tessera_')).join('\n'));
  assert.equal(fake.requestsTo('chat').length, 1);
});

/** The value of a sample line such as `tessera_runs_started_total{trigger="api"} 2`, or 0 when absent. */
function sample(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

test('/api/v1/metrics needs an API key when auth is on', async () => {
  const refused = await env.request('GET', '/api/v1/metrics');
  assert.equal(refused.status, 401);
  assert.equal(refused.json.error.code, 'UNAUTHORIZED');
});

test('metrics are also at the conventional /metrics, with the same key rule', async () => {
  assert.equal((await env.request('GET', '/metrics')).status, 401);
  const root = await env.request('GET', '/metrics', { token: key });
  assert.equal(root.status, 200);
  assert.match(root.headers.get('content-type') ?? '', /^text\/plain/);
  assert.match(root.text, /^# TYPE tessera_provider_calls_total counter$/m);
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
