/**
 * Large values through the real API (Temporal dev server, worker, SQLite, blob store): outputs of tens of
 * MB stay blob references in the run index, so GET /runs, GET /runs/:id and the event stream stay small
 * while the full value is downloadable (and `tessera run --server` still prints it); a 9 MB text input
 * runs (spilled to the blob store, not sent through Temporal); params too large to run are refused at
 * save; a run too large for Temporal is refused with a code and leaves no run behind; a node producing
 * more than a value may be fails at once instead of taking the worker's memory.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { TesseraClient } from '../../engine/api/client/client.ts';
import { remoteRun } from '../../engine/cli/remote-run.ts';
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import { RUN_WORKFLOW } from '../../engine/run/start.ts';
import { startError } from '../../engine/run/start-error.ts';
import { isSpilled } from '../../engine/worker/spill.ts';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';
import { readSse, savePipeline } from '../support/api-runs.ts';

const MB = 1024 * 1024;
/** Far above anything a summary or a record of references needs, far below the values involved. */
const SMALL_RESPONSE = 64 * 1024;

let env: ApiEnv;
let api: TesseraClient;
before(async () => {
  env = await startApiEnv();
  api = new TesseraClient({ server: env.url });
});
after(async () => env?.close());

function templatePipeline(name: string, template: string, kind = 'text'): Pipeline {
  return {
    format: 'tessera.pipeline/v1',
    name,
    nodes: [
      { id: 't', type: 'input', params: { name: 't', kind } },
      { id: 'fill', type: 'text-template', params: { template } },
      { id: 'out', type: 'output', params: { name: 'text' } },
    ],
    edges: [
      { from: 't.value', to: 'fill.t' },
      { from: 'fill.text', to: 'out.value' },
    ],
  };
}

/** A text of `bytes` ASCII characters that is not one repeated letter (so a mix-up would show). */
function text(bytes: number, seed: string): string {
  return `${seed}:${'0123456789abcdef'.repeat(Math.ceil(bytes / 16))}`.slice(0, bytes);
}

async function runAndWait(pipelineId: string, inputs: Record<string, unknown>) {
  const response = await env.request('POST', `/api/v1/pipelines/${pipelineId}/runs?wait=120`, { body: { inputs } });
  assert.equal(response.status, 200, response.text.slice(0, 500));
  return response;
}

test('outputs of tens of MB stay references: runs list, run and events stay small; the value downloads whole', async () => {
  const pipelineId = await savePipeline(env, templatePipeline('many-copies', '{{t}}\n'.repeat(20)));
  const input = text(1 * MB, 'big');
  const expected = `${input}\n`.repeat(20);
  const runs = [];
  for (let i = 0; i < 2; i++) runs.push((await runAndWait(pipelineId, { t: input })).json);

  for (const run of runs) {
    assert.equal(run.status, 'succeeded');
    const got = await env.request('GET', `/api/v1/runs/${run.id}`);
    assert.equal(got.status, 200);
    assert.ok(got.text.length < SMALL_RESPONSE, `GET /runs/:id is ${got.text.length} bytes`);
    assert.ok(isSpilled(got.json.outputs.text), 'the 20 MB output is a reference');
    assert.ok(isSpilled(got.json.inputs.t), 'the 1 MB input is a reference too');
    assert.ok(got.json.outputs.text.$spilled.size > 20 * MB);

    // The reference downloads as the value's JSON, equal to what the node produced.
    const blob = await fetch(`${env.url}/api/v1/blobs/${got.json.outputs.text.$spilled.sha256}`);
    assert.equal(blob.status, 200);
    assert.equal(JSON.parse(await blob.text()), expected);
    assert.deepEqual(await api.resolveValues(got.json.inputs), { t: input });

    const events = await readSse(`${env.url}/api/v1/runs/${run.id}/events`);
    assert.ok(JSON.stringify(events.events).length < SMALL_RESPONSE, 'the event stream carries no values');
  }

  const list = await env.request('GET', `/api/v1/runs?pipelineId=${pipelineId}`);
  assert.equal(list.status, 200);
  assert.ok(list.text.length < SMALL_RESPONSE, `GET /runs is ${list.text.length} bytes`);
  assert.deepEqual(list.json.items.map((r: { id: string }) => r.id).sort(), runs.map((r) => r.id).sort());
  for (const item of list.json.items) for (const key of ['inputs', 'outputs', 'nodes']) assert.ok(!(key in item), `a list item has no ${key}`);
  assert.equal((await env.request('GET', '/api/v1/health')).status, 200);

  // `tessera run --server` resolves the reference: the user gets the whole value, as from a local run.
  const file = path.join(env.dir, 'big-input.txt');
  writeFileSync(file, input);
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const code = await remoteRun(pipelineId, { server: env.url, input: [`t=@${file}`], json: true, outDir: path.join(env.dir, 'out'), stdout: out });
  const printed = Buffer.concat(chunks).toString('utf8');
  assert.equal(code, 0, printed.slice(0, 500));
  const result = JSON.parse(printed);
  assert.equal(result.status, 'succeeded');
  assert.equal(result.outputs.text, expected);
});

test('a 9 MB text input runs (stored as a blob, not sent through Temporal), and so does its rerun', async () => {
  const pipelineId = await savePipeline(env, templatePipeline('long-input', '{{t}}!'));
  const input = text(9 * MB, 'nine');
  const { json: run } = await runAndWait(pipelineId, { t: input });
  assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
  assert.ok(JSON.stringify(run).length < SMALL_RESPONSE);
  assert.deepEqual(await api.resolveValues(run.outputs), { text: `${input}!` });

  const rerun = await env.request('POST', `/api/v1/runs/${run.id}/rerun?wait=120`);
  assert.equal(rerun.status, 200, rerun.text.slice(0, 500));
  assert.equal(rerun.json.status, 'succeeded');
  assert.deepEqual(rerun.json.inputs, run.inputs, 'the same input, as the same reference');
  assert.deepEqual(await api.resolveValues(rerun.json.outputs), { text: `${input}!` });
});

test('a 9 MB template param is refused at save (413 PIPELINE_TOO_LARGE naming the node); nothing is stored', async () => {
  const before = (await env.request('GET', '/api/v1/pipelines?limit=200')).json.items.length;
  const doc = templatePipeline('huge-template', `{{t}}${text(9 * MB, 'param')}`);

  const created = await env.request('POST', '/api/v1/pipelines', { body: doc });
  assert.equal(created.status, 413, created.text.slice(0, 500));
  assert.equal(created.json.error.code, 'PIPELINE_TOO_LARGE');
  assert.equal(created.json.error.details.errors[0].nodeId, 'fill');
  const imported = await env.request('POST', '/api/v1/pipelines/import', { body: JSON.stringify(doc), headers: { 'content-type': 'application/json' } });
  assert.equal(imported.status, 413, imported.text.slice(0, 500));
  assert.equal(imported.json.error.code, 'PIPELINE_TOO_LARGE');

  const id = await savePipeline(env, templatePipeline('small-then-huge', '{{t}}'));
  const updated = await env.request('PUT', `/api/v1/pipelines/${id}`, { body: doc });
  assert.equal(updated.status, 413);
  assert.equal((await env.request('GET', `/api/v1/pipelines/${id}`)).json.latestVersion, 1, 'no new version');
  const validated = await env.request('POST', '/api/v1/pipelines/validate', { body: doc });
  assert.equal(validated.json.valid, false);
  assert.equal(validated.json.errors[0].code, 'PIPELINE_TOO_LARGE');
  assert.equal((await env.request('GET', '/api/v1/pipelines?limit=200')).json.items.length, before + 1, 'only the small pipeline was saved');
});

test('a run too large for Temporal even with large values spilled is 413 RUN_TOO_LARGE and leaves no run row', async () => {
  const pipelineId = await savePipeline(env, templatePipeline('many-items', '{{t}}', 'text[]'));
  // One large item (spilled to the blob store before the size is known) among many small ones.
  const large = text(100 * 1024, 'spilled-then-refused');
  const items = [large, ...Array.from({ length: 20_000 }, (_, i) => `item ${i} ${'z'.repeat(90)}`)];
  const refused = await env.request('POST', `/api/v1/pipelines/${pipelineId}/runs`, { body: { inputs: { t: items } } });
  assert.equal(refused.status, 413, refused.text.slice(0, 500));
  assert.equal(refused.json.error.code, 'RUN_TOO_LARGE');
  assert.equal(refused.json.error.details.input, 't');
  assert.deepEqual((await env.request('GET', `/api/v1/runs?pipelineId=${pipelineId}`)).json.items, [], 'no run was recorded');
  const spilled = createHash('sha256').update(JSON.stringify(large)).digest('hex');
  assert.equal((await env.request('HEAD', `/api/v1/blobs/${spilled}`)).status, 404, 'the spilled item was not kept');
});

test('Temporal refusing a start as too large is the request\'s fault (RUN_TOO_LARGE), not TEMPORAL_UNREACHABLE', async () => {
  // Straight to Temporal, past Tessera's own checks, to see what it really answers.
  const err = await env.deps.client.workflow
    .start(RUN_WORKFLOW, { taskQueue: 'nowhere', workflowId: `too-large-${Date.now()}`, args: [{ filler: 'a'.repeat(2.5 * MB) }] })
    .then(() => undefined, (e: unknown) => e);
  assert.ok(err, 'Temporal refused the start');
  assert.equal(startError(err).code, 'RUN_TOO_LARGE');
  assert.equal(startError(new Error('connect ECONNREFUSED 127.0.0.1:7233')).code, 'TEMPORAL_UNREACHABLE');
});

test('a node that would produce more than a value may be fails at once (VALUE_TOO_LARGE, not retried)', async () => {
  const pipelineId = await savePipeline(env, templatePipeline('too-many-copies', '{{t}}'.repeat(100)));
  const { json: run } = await runAndWait(pipelineId, { t: text(1 * MB, 'boom') });
  assert.equal(run.status, 'failed');
  assert.equal(run.error.code, 'NODE_FAILED');
  assert.equal(run.error.nodeId, 'fill');
  assert.equal(run.nodes.fill.error.code, 'VALUE_TOO_LARGE');
  assert.equal(run.nodes.fill.attempt, 1, 'not retried');
  assert.equal((await env.request('GET', '/api/v1/health')).status, 200);
});

test('a node failing with a huge message leaves small run records and events (the message is cut)', async () => {
  const pipelineId = await savePipeline(env, {
    format: 'tessera.pipeline/v1',
    name: 'loud-failure',
    nodes: [
      { id: 'boom', type: 'test-fail', params: { message: text(200 * 1024, 'loud') } },
      { id: 'out', type: 'output', params: { name: 'out' } },
    ],
    edges: [{ from: 'boom.out', to: 'out.value' }],
  });
  const { json: run, text: body } = await runAndWait(pipelineId, {});
  assert.equal(run.status, 'failed');
  assert.equal(run.nodes.boom.error.code, 'TEST_BAD_INPUT');
  assert.match(run.nodes.boom.error.message, /^loud:0123.*… \(\d+ more characters\)$/s);
  assert.ok(body.length < SMALL_RESPONSE, `the run is ${body.length} bytes`);
  const events = await readSse(`${env.url}/api/v1/runs/${run.id}/events`);
  assert.ok(JSON.stringify(events.events).length < SMALL_RESPONSE, 'the events are small');
});
