/**
 * Issue 7 item 2, default server (no allowed folders): a pipeline with a node that reads the worker's
 * disk is refused at every API entry, naming the node, and nothing is stored or started. The worker
 * refuses too when such a plan reaches it without the API (started straight on Temporal).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { validatePipeline } from '../../engine/pipeline/validate.ts';
import { compilePlan, type RunPipelineInput } from '../../engine/run/plan.ts';
import { RUN_WORKFLOW, nodeStatusQuery } from '../../engine/run/start.ts';
import { runError } from '../../engine/run/run-error.ts';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';
import { loadFilePipeline } from '../support/fixtures.ts';

let env: ApiEnv;
before(async () => {
  env = await startApiEnv();
});
after(() => env.close());

const PATHS = ['/proc/self/environ', '/etc/passwd', '../../../etc/passwd', 'tessera.db'];


function assertNotAllowed(response: { status: number; json: any }, what: string): void {
  assert.equal(response.status, 400, `${what}: ${JSON.stringify(response.json)}`);
  assert.equal(response.json.error.code, 'NODE_NOT_ALLOWED', what);
  assert.match(response.json.error.message, /Node "read" \(load-file\)/, what);
  assert.equal(response.json.error.details.errors[0].nodeId, 'read', what);
}

test('saving, importing and validating a pipeline with load-file is refused; nothing is stored', async () => {
  for (const filePath of PATHS) {
    assertNotAllowed(await env.request('POST', '/api/v1/pipelines', { body: loadFilePipeline(filePath) }), `save ${filePath}`);
    assertNotAllowed(await env.request('POST', '/api/v1/pipelines/import', { body: JSON.stringify(loadFilePipeline(filePath)), headers: { 'content-type': 'application/json' } }), `import ${filePath}`);
    const report = await env.request('POST', '/api/v1/pipelines/validate', { body: loadFilePipeline(filePath) });
    assert.equal(report.status, 200);
    assert.equal(report.json.valid, false);
    assert.deepEqual(report.json.errors.map((e: any) => [e.code, e.nodeId]), [['NODE_NOT_ALLOWED', 'read']]);
  }
  assert.deepEqual((await env.request('GET', '/api/v1/pipelines')).json.items, []);
});

test('a new version with load-file is refused and the pipeline keeps its version', async () => {
  const harmless = { ...loadFilePipeline('x'), nodes: [{ id: 'read', type: 'text-template', params: { template: 'hi' } }, loadFilePipeline('x').nodes[1]!], edges: [{ from: 'read.text', to: 'out.value' }] };
  const created = await env.request('POST', '/api/v1/pipelines', { body: harmless });
  assert.equal(created.status, 201, created.text);
  const id = created.json.pipeline.id;
  assertNotAllowed(await env.request('PUT', `/api/v1/pipelines/${id}`, { body: loadFilePipeline('/etc/passwd') }), 'update');
  assert.equal((await env.request('GET', `/api/v1/pipelines/${id}`)).json.latestVersion, 1);
});

test('a version stored before the rule cannot be run or scheduled; no run row is left', async () => {
  // Straight into the store, as a pipeline saved by an older Tessera would be.
  const saved = await env.deps.store.createPipeline({ ...loadFilePipeline('/proc/self/environ'), nodes: loadFilePipeline('/proc/self/environ').nodes.map((n) => ({ ...n, version: 1 })) });
  const id = saved.pipeline.id;
  assertNotAllowed(await env.request('POST', `/api/v1/pipelines/${id}/runs?wait=30`, { body: { inputs: {} } }), 'run');
  assertNotAllowed(await env.request('POST', `/api/v1/pipelines/${id}/schedules`, { body: { interval: '1h' } }), 'schedule');
  assert.deepEqual((await env.request('GET', '/api/v1/runs')).json.items, []);
});

test('the worker refuses a load-file plan that bypassed the API, with or without an origin, at the first attempt', async () => {
  const valid = validatePipeline(loadFilePipeline('/proc/self/environ'), env.deps.registry); // no API policy: as a forged start would be
  assert.ok(valid.ok);
  const api = compilePlan(valid.value, env.deps.taskQueue, 'api');
  const { origin: _dropped, ...unmarked } = api; // a plan recorded before plans had an origin
  for (const plan of [api, unmarked]) {
    const args: RunPipelineInput = { plan, inputs: {} };
    const handle = await env.deps.client.workflow.start(RUN_WORKFLOW, { taskQueue: env.deps.taskQueue, workflowId: `forged-${randomUUID()}`, args: [args] });
    const error = await handle.result().then(
      () => assert.fail('the run read /proc/self/environ'),
      (err: unknown) => runError(err),
    );
    assert.equal(error.code, 'NODE_FAILED');
    assert.equal((error.details as { code?: string }).code, 'FILE_NOT_ALLOWED');
    assert.match(error.message, /"\/proc\/self\/environ"/);
    assert.doesNotMatch(error.message, /PATH=|HOME=/);
    const states = await handle.query(nodeStatusQuery);
    assert.equal(states.read?.attempt, 1, 'a refusal is not retried');
  }
});
