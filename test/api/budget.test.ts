/**
 * Cost budgets through the API, on a real Temporal dev server with the in-process worker's official SDKs
 * talking to the fake provider server (every request recorded there): parallel branches under a budget
 * that fits one of them get one allowance between them (the other branch never reaches the provider); a
 * run's budget (JSON or form field) overrides the pipeline's; the estimate endpoint answers a range
 * without running anything.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TesseraClient } from '../../engine/api/client/client.ts';
import { createProviders } from '../../engine/providers/index.ts';
import { tessera } from '../support/cli.ts';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';
import { fakeKey } from '../support/fake-keys.ts';
import { startFakeProviders, type FakeProviders, type RecordedRequest } from '../support/fake-provider-server.ts';

let env: ApiEnv;
let fake: FakeProviders;
/** Answers held back until the test lets them go (so a branch is still "in flight" when the other asks). */
const held: (() => void)[] = [];

before(async () => {
  fake = await startFakeProviders();
  env = await startApiEnv({ providers: createProviders({ OPENAI_API_KEY: fakeKey('sk-budget'), OPENAI_BASE_URL: fake.openaiBaseURL }) });
});
after(async () => {
  for (const release of held) release();
  await env?.close();
  await fake?.close();
});

const llm = (id: string, prompt: string, extra: object = {}) => ({ id, type: 'llm', params: { provider: 'openai', model: 'gpt-4o', prompt, maxTokens: 1000, ...extra } });

/** Two branches from one input, each a gpt-4o call of at most 1,000 output tokens: about $0.01 each at most. */
const parallel = {
  format: 'tessera.pipeline/v1',
  name: 'budget-parallel',
  nodes: [
    { id: 'topic', type: 'input', params: { name: 'topic', kind: 'text' } },
    llm('a', 'Branch A: {{topic}}'),
    llm('b', 'Branch B: {{topic}}'),
    { id: 'oa', type: 'output', params: { name: 'a' } },
    { id: 'ob', type: 'output', params: { name: 'b' } },
  ],
  edges: [
    { from: 'topic.value', to: 'a.topic' },
    { from: 'topic.value', to: 'b.topic' },
    { from: 'a.text', to: 'oa.value' },
    { from: 'b.text', to: 'ob.value' },
  ],
};

const single = {
  format: 'tessera.pipeline/v1',
  name: 'budget-single',
  budget: { usd: 5 },
  nodes: [llm('ask', 'Say hi.', { model: 'gpt-4o-mini', maxTokens: 200 }), { id: 'out', type: 'output', params: { name: 'text' } }],
  edges: [{ from: 'ask.text', to: 'out.value' }],
};

async function save(doc: object): Promise<string> {
  const saved = await env.request('POST', '/api/v1/pipelines', { body: doc });
  assert.equal(saved.status, 201, saved.text);
  return saved.json.pipeline.id;
}

const branchOf = (r: RecordedRequest) => /Branch (A|B)/.exec(JSON.stringify(r.json?.messages ?? ''))?.[1];

test('parallel branches under a budget that fits one of them: one allowance, the other branch never reaches the provider', async () => {
  fake.reset();
  // Whichever branch is granted first keeps its call open, so the other asks while it is still held.
  fake.script('chat', () => new Promise((resolve) => held.push(() => resolve({ text: 'late' }))));
  const id = await save(parallel);
  const started = await env.request('POST', `/api/v1/pipelines/${id}/runs`, { body: { inputs: { topic: 'tides' }, budgetUsd: 0.015, wait: 120 } });
  assert.equal(started.status, 200, started.text);
  const run = started.json;
  assert.equal(run.status, 'failed');
  assert.equal(run.error.code, 'BUDGET_EXCEEDED', JSON.stringify(run.error));
  const refused = run.error.nodeId as string;
  assert.ok(refused === 'a' || refused === 'b');
  const granted = refused === 'a' ? 'b' : 'a';
  const details = run.error.details.details;
  assert.equal(details.budgetUsd, 0.015);
  assert.equal(details.spentUsd, 0);
  assert.ok(details.heldUsd > 0.01 && details.heldUsd < 0.0101, `the other branch held its estimate: ${details.heldUsd}`);
  assert.equal(details.remainingUsd, Math.round((0.015 - details.heldUsd) * 1e9) / 1e9);
  assert.ok(details.estimateUsd > details.remainingUsd);
  assert.match(run.error.message, new RegExp(`^Node "${refused}" stopped before calling openai gpt-4o chat: the call is estimated at \\$0\\.0100\\d* \\(\\d+ input tokens \\+ up to 1,000 output tokens\\), and \\$0\\.0049\\d* of the run's \\$0\\.015 budget is left`));
  assert.equal(run.nodes[refused].status, 'failed');
  assert.equal(run.nodes[refused].error.code, 'BUDGET_EXCEEDED');

  const chats = fake.requestsTo('chat');
  assert.ok(chats.length <= 1, 'at most the granted branch reached the provider');
  assert.ok(chats.every((r) => branchOf(r) === granted.toUpperCase()), `no request from the refused branch ${refused}`);
  assert.ok(run.usage.costUsd <= 0.015);
});

test('a run\'s budget overrides the pipeline\'s: too small, the first call is refused and nothing is sent; the pipeline\'s own lets it run', async () => {
  fake.reset();
  const id = await save(single);
  const refused = await env.request('POST', `/api/v1/pipelines/${id}/runs`, { body: { budgetUsd: 0.0001, wait: 120 } });
  assert.equal(refused.json.status, 'failed');
  assert.equal(refused.json.error.code, 'BUDGET_EXCEEDED');
  assert.equal(refused.json.error.nodeId, 'ask');
  assert.match(refused.json.error.message, /estimated at \$0\.00012\d* \(\d+ input tokens \+ up to 200 output tokens\), and \$0\.0001 of the run's \$0\.0001 budget is left \(\$0 spent, \$0 held by calls in progress\)\. Nothing was sent\./);
  assert.equal(fake.requests.length, 0, 'the provider saw nothing');

  // The same as a form field.
  const form = new FormData();
  form.set('budgetUsd', '0.0001');
  const viaForm = await env.request('POST', `/api/v1/pipelines/${id}/runs?wait=120`, { body: form });
  assert.equal(viaForm.json.error?.code, 'BUDGET_EXCEEDED', viaForm.text);
  assert.equal(fake.requests.length, 0);

  // Under the pipeline's $5 the call is made; actual usage is reported per node and per run, as always.
  const ok = await env.request('POST', `/api/v1/pipelines/${id}/runs`, { body: { wait: 120 } });
  assert.equal(ok.json.status, 'succeeded', ok.text);
  assert.equal(fake.requestsTo('chat').length, 1);
  assert.equal(fake.requestsTo('chat')[0].json.max_completion_tokens, 200);
  assert.equal(ok.json.nodes.ask.usage.length, 1);
  assert.ok(ok.json.usage.costUsd > 0 && ok.json.usage.costUsd < 0.001);

  const bad = await env.request('POST', `/api/v1/pipelines/${id}/runs`, { body: { budgetUsd: -1 } });
  assert.equal(bad.status, 400);
});

test('POST /pipelines/:id/estimate: a cost range per node without running anything; inputs are checked', async () => {
  fake.reset();
  const id = await save(parallel);
  const answer = await env.request('POST', `/api/v1/pipelines/${id}/estimate`, { body: { inputs: { topic: 'tides' }, budgetUsd: 0.015 } });
  assert.equal(answer.status, 200, answer.text);
  const e = answer.json;
  assert.deepEqual(e.nodes.map((n: { nodeId: string }) => n.nodeId), ['a', 'b']);
  for (const node of e.nodes) {
    assert.equal(node.calls[0].model, 'gpt-4o');
    assert.equal(node.calls[0].maxOutputTokens, 1000);
    assert.ok(node.maxUsd > 0.01 && node.maxUsd < 0.0101);
  }
  assert.equal(e.maxUsd, Math.round((e.nodes[0].maxUsd + e.nodes[1].maxUsd) * 1e9) / 1e9);
  assert.ok(e.minUsd > 0 && e.minUsd < 0.001);
  assert.equal(e.budgetUsd, 0.015);
  assert.equal(e.withinBudget, 'maybe');
  assert.equal(e.pricesAsOf.length, 10);
  assert.equal(fake.requests.length, 0);

  // Inputs left out are assumed, and said so; the pipeline's budget is used when the request has none.
  const assumed = await env.request('POST', `/api/v1/pipelines/${await save(single)}/estimate`, {});
  assert.equal(assumed.status, 200, assumed.text);
  assert.equal(assumed.json.budgetUsd, 5);
  assert.equal(assumed.json.withinBudget, 'yes');
  const unknown = await env.request('POST', `/api/v1/pipelines/${id}/estimate`, { body: { inputs: { nope: 1 } } });
  assert.equal(unknown.status, 400);
  assert.match(unknown.text, /RUN_INPUT_UNKNOWN/);
  assert.equal((await env.request('POST', '/api/v1/pipelines/pl_missing/estimate', { body: {} })).status, 404);

  // The typed client, and `tessera run <id> --server --estimate` through it.
  const client = new TesseraClient({ server: env.url });
  const viaClient = await client.estimateRun(id, { inputs: { topic: 'tides' }, budgetUsd: 0.015 });
  assert.deepEqual(viaClient, e);
  const cli = await tessera(['run', id, '--server', env.url, '--estimate', '--budget', '0.015', '-i', 'topic=tides', '--json']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.deepEqual(JSON.parse(cli.stdout), e);
  assert.equal(fake.requests.length, 0);

  const openapi = (await env.request('GET', '/api/v1/openapi.json')).json;
  const operation = openapi.paths['/api/v1/pipelines/{id}/estimate'].post;
  assert.equal(operation.operationId, 'postPipelinesByIdEstimate');
  assert.ok(operation.responses['200']);
});
