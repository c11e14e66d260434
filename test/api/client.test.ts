/**
 * The typed client (engine/api/client/client.ts) against a real API with keys required: uploads, runs, events
 * (live and resumed), waiting, errors as ApiClientError with the API's code; and `remoteRun`, the
 * `tessera run --server` path.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { ApiClientError, TesseraClient } from '../../engine/api/client/client.ts';
import { remoteRun } from '../../engine/cli/remote-run.ts';
import type { RunEvent } from '../../engine/store/types.ts';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';
import { greetingPipeline, sleepPipeline } from '../support/api-runs.ts';
import { wavBytes } from '../support/fixtures.ts';

let env: ApiEnv;
let api: TesseraClient;
let token: string;
let greetingId: string;
let wavFile: string;

before(async () => {
  env = await startApiEnv({ authRequired: true });
  token = (await env.deps.store.createApiKey('client test')).secret;
  api = new TesseraClient({ server: env.url, token });
  wavFile = path.join(env.dir, 'note.wav');
  writeFileSync(wavFile, wavBytes());
  const saved = await api.createPipeline(greetingPipeline);
  assert.equal(saved.version.version, 1);
  greetingId = saved.pipeline.id;
  assert.equal((await api.getPipeline(greetingId)).latestVersion, 1);
  assert.ok((await api.listPipelines()).items.some((p) => p.id === greetingId));
});
after(async () => env?.close());

test('uploads a file as a stream, starts a run, waits for it and reads it back', async () => {
  const audio = await api.uploadBlob(wavFile);
  assert.equal(audio.size, wavBytes().length);
  assert.equal(audio.name, 'note.wav');
  assert.match(audio.mime, /^audio\//);

  const started = await api.startRun(greetingId, { inputs: { who: 'Ada:', audio } });
  assert.equal(started.done, false);
  const run = await api.waitForRun(started.id);
  assert.equal(run.status, 'succeeded');
  assert.equal(run.outputs?.greeting, 'Ada:nap;tally;');
  assert.deepEqual((await api.getRun(started.id)).outputs, run.outputs);

  const waited = await api.startRun(greetingId, { inputs: { who: 'Bo:', audio }, wait: 30 });
  assert.ok(waited.done);
  assert.equal(waited.run.outputs?.greeting, 'Bo:nap;tally;');

  const listed = await api.listRuns({ pipelineId: greetingId, limit: 1 });
  assert.equal(listed.items.length, 1);
  assert.ok(listed.nextCursor);
  const rerun = await api.rerun(started.id, { wait: 30 });
  assert.ok(rerun.done);
  assert.deepEqual(rerun.run.trigger, { type: 'rerun', id: started.id });
});

test('followEvents yields the events until run.finished and resumes after lastEventId', async () => {
  const id = (await api.createPipeline(sleepPipeline(500))).pipeline.id;
  const started = await api.startRun(id, { inputs: { text: 'f:' } });
  const events: RunEvent[] = [];
  for await (const event of api.followEvents(started.id)) events.push(event);
  assert.equal(events.at(-1)?.type, 'run.finished');
  assert.ok(events.some((e) => e.type === 'node.started' && e.data.nodeId === 'slow'));
  const later: RunEvent[] = [];
  for await (const event of api.followEvents(started.id, { lastEventId: events[0].seq })) later.push(event);
  assert.deepEqual(later.map((e) => e.seq), events.slice(1).map((e) => e.seq));
});

test('API errors become ApiClientError with status and code', async () => {
  const missing = await api.getRun('run-nope').catch((err: unknown) => err);
  assert.ok(missing instanceof ApiClientError);
  assert.equal(missing.status, 404);
  assert.equal(missing.code, 'RUN_NOT_FOUND');

  const bad = await api.startRun(greetingId, { inputs: { who: 'x' } }).catch((err: unknown) => err);
  assert.ok(bad instanceof ApiClientError);
  assert.equal(bad.status, 400);
  assert.equal(bad.code, 'RUN_INPUT_MISSING');
  assert.ok((bad.details as { errors: unknown[] }).errors.length > 0);

  const { id } = await api.startRun(greetingId, { inputs: { who: 'y', audio: await api.uploadBlob(wavBytes()) }, wait: 30 });
  const finished = await api.cancelRun(id).catch((err: unknown) => err);
  assert.ok(finished instanceof ApiClientError);
  assert.equal(finished.status, 409);
  assert.equal(finished.code, 'RUN_ALREADY_FINISHED');

  const anonymous = await new TesseraClient({ server: env.url }).listRuns().catch((err: unknown) => err);
  assert.ok(anonymous instanceof ApiClientError);
  assert.equal(anonymous.code, 'UNAUTHORIZED');

  const nobody = await new TesseraClient({ server: 'http://127.0.0.1:9' }).getRun('x').catch((err: unknown) => err);
  assert.ok(nobody instanceof ApiClientError);
  assert.equal(nobody.code, 'SERVER_UNREACHABLE');
});

test('remoteRun saves the file, uploads @file inputs, and prints outputs like a local run', async () => {
  const file = path.join(env.dir, 'greeting.pipeline.json');
  writeFileSync(file, JSON.stringify(greetingPipeline));
  const out = new PassThrough();
  let printed = '';
  out.on('data', (chunk) => (printed += chunk));
  const code = await remoteRun(file, { server: env.url, token, input: ['who=Cy:', `audio=@${wavFile}`], json: true, outDir: path.join(env.dir, 'out'), stdout: out });
  assert.equal(code, 0, printed);
  const result = JSON.parse(printed);
  assert.equal(result.status, 'succeeded');
  assert.equal(result.outputs.greeting, 'Cy:nap;tally;');
  assert.deepEqual(readFileSync(result.outputs.audio.path), readFileSync(wavFile), 'the audio output was downloaded');

  printed = '';
  const byId = await remoteRun(greetingId, { server: env.url, token, input: ['who=Dd:', `audio=@${wavFile}`], outDir: path.join(env.dir, 'out2'), stdout: out });
  assert.equal(byId, 0);
  assert.match(printed, /^greeting: Dd:nap;tally;$/m);

  printed = '';
  const failed = await remoteRun(greetingId, { server: env.url, token, input: ['who=x'], json: true, stdout: out });
  assert.equal(failed, 1);
  assert.equal(JSON.parse(printed).error.code, 'RUN_INPUT_MISSING');
});

test('remoteRun of a file reuses the pipeline saved under its name: a new version only when the file changed', async () => {
  const file = path.join(env.dir, 'reuse.pipeline.json');
  const document = { ...greetingPipeline, name: 'reuse-check' };
  writeFileSync(file, JSON.stringify(document));
  const out = new PassThrough();
  let printed = '';
  out.on('data', (chunk) => (printed += chunk));
  const run = async () => {
    printed = '';
    const code = await remoteRun(file, { server: env.url, token, input: ['who=Ed:', `audio=@${wavFile}`], json: true, outDir: path.join(env.dir, 'out-reuse'), stdout: out });
    assert.equal(code, 0, printed);
    return (await api.getRun(JSON.parse(printed).runId)) as { pipelineId: string; pipelineVersion: number };
  };
  const named = async () => (await api.listPipelines({ limit: 100 })).items.filter((p) => p.name === 'reuse-check');

  const first = await run();
  const second = await run();
  assert.equal(second.pipelineId, first.pipelineId);
  assert.equal(second.pipelineVersion, first.pipelineVersion);
  assert.equal((await named()).length, 1);
  assert.equal((await api.getPipeline(first.pipelineId)).latestVersion, 1);

  writeFileSync(file, JSON.stringify({ ...document, description: 'changed' }));
  const third = await run();
  assert.equal(third.pipelineId, first.pipelineId);
  assert.equal(third.pipelineVersion, 2);
  assert.equal((await named()).length, 1);
});

test('the client is the package export tessera/client (what the editor\'s "call from code" lines import)', async () => {
  const exported = await import('tessera/client');
  assert.equal(exported.TesseraClient, TesseraClient);
  const run = await new exported.TesseraClient({ server: env.url, token }).listRuns({ limit: 1 });
  assert.ok(Array.isArray(run.items));
});
