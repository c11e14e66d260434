/**
 * Runs through the HTTP API against a real Temporal dev server, worker, SQLite store and blob store:
 * start (JSON and multipart), wait, live events over SSE (order, resume), outputs (spilled values
 * restored), failures, cancel, rerun, listing, coded 4xx errors, and an API restart mid-run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';
import { failingPipeline, flakyPipeline, greetingPipeline, readSse, savePipeline, sleepPipeline, uploadBytes, waitUntilFinished, type SseEvent } from '../support/api-runs.ts';
import { wavBytes } from '../support/fixtures.ts';

let env: ApiEnv;
let greetingId: string;
let audio: any;
before(async () => {
  env = await startApiEnv();
  // The sleeping node runs long enough (1.5 s) for the tracker's 500 ms poll to see it running, so its
  // progress reports are recorded even on a loaded machine (reports before that are dropped by design).
  greetingId = await savePipeline(env, { ...greetingPipeline, nodes: greetingPipeline.nodes.map((n) => (n.id === 'nap' ? { ...n, params: { ms: 1500 } } : n)) });
  audio = await uploadBytes(env, wavBytes(), 'note.wav');
});
after(async () => env?.close());

const TASK_NODES = ['nap', 'tally', 'big'];

function assertWellOrdered(events: SseEvent[]): void {
  const seqs = events.map((e) => Number(e.id));
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'seq increases');
  assert.equal(new Set(seqs).size, seqs.length, 'no event twice');
  for (const e of events) assert.equal(e.data.seq, Number(e.id));
  assert.equal(events.at(-1)?.event, 'run.finished', 'run.finished is last');
  assert.equal(events.filter((e) => e.event === 'run.finished').length, 1);
}

function indexOf(events: SseEvent[], type: string, nodeId: string): number {
  return events.findIndex((e) => e.event === type && e.data.data.nodeId === nodeId);
}

describe('a run started with JSON', () => {
  let runId: string;
  let events: SseEvent[];

  test('starts (202 with links) and streams its events until run.finished', async () => {
    const started = await env.request('POST', `/api/v1/pipelines/${greetingId}/runs`, { body: { inputs: { who: 'Ada:', audio } } });
    assert.equal(started.status, 202, started.text);
    assert.equal(started.json.status, 'running');
    runId = started.json.id;
    assert.equal(started.json.links.events, `/api/v1/runs/${runId}/events`);
    assert.equal(started.headers.get('location'), `/api/v1/runs/${runId}`);

    const sse = await readSse(`${env.url}/api/v1/runs/${runId}/events`);
    assert.equal(sse.status, 200);
    assert.match(sse.contentType ?? '', /^text\/event-stream/);
    events = sse.events;
    assertWellOrdered(events);
    for (const nodeId of TASK_NODES) {
      const startedAt = indexOf(events, 'node.started', nodeId);
      const succeededAt = indexOf(events, 'node.succeeded', nodeId);
      assert.ok(startedAt >= 0, `node.started for ${nodeId}`);
      assert.ok(succeededAt > startedAt, `node.started before node.succeeded for ${nodeId}`);
    }
    assert.equal(events.at(-1)?.data.data.status, 'succeeded');
  });

  test('progress events of the sleeping node sit between its start and its end', async () => {
    const progress = events.filter((e) => e.event === 'node.progress');
    assert.ok(progress.length > 0, 'some node.progress events');
    for (const e of progress) {
      assert.equal(e.data.data.nodeId, 'nap');
      const at = events.indexOf(e);
      assert.ok(at > indexOf(events, 'node.started', 'nap') && at < indexOf(events, 'node.succeeded', 'nap'));
    }
  });

  test('GET /runs/:id has the outputs (large values restored), nodes, usage and trigger', async () => {
    const { status, json } = await env.request('GET', `/api/v1/runs/${runId}`);
    assert.equal(status, 200);
    assert.equal(json.status, 'succeeded');
    assert.equal(json.outputs.greeting, 'Ada:nap;tally;');
    assert.deepEqual(json.outputs.audio, audio);
    assert.equal(typeof json.outputs.big, 'string', 'the spilled text comes back as the text');
    assert.equal(json.outputs.big.length, 40_000);
    assert.deepEqual(json.trigger, { type: 'api' });
    assert.equal(json.pipelineId, greetingId);
    assert.equal(json.pipelineVersion, 1);
    for (const nodeId of [...TASK_NODES, 'who', 'greeting']) assert.equal(json.nodes[nodeId].status, 'succeeded', nodeId);
    assert.equal(json.usage.calls, 0);
    assert.ok(json.endedAt);
  });

  test('GET /runs/:id/nodes/:nodeId/outputs has what each node produced, recorded by the tracker', async () => {
    // Recorded in the store when the nodes succeeded (the endpoint asks the workflow only when they were not).
    for (const nodeId of ['who', ...TASK_NODES, 'greeting']) assert.ok(await env.deps.store.getNodeOutputs(runId, nodeId), `${nodeId} recorded`);
    const outputsOf = async (nodeId: string) => {
      const { status, json, text } = await env.request('GET', `/api/v1/runs/${runId}/nodes/${nodeId}/outputs`);
      assert.equal(status, 200, text);
      assert.deepEqual([json.runId, json.nodeId], [runId, nodeId]);
      return json.outputs;
    };
    assert.deepEqual(await outputsOf('who'), { value: 'Ada:' });
    assert.deepEqual(await outputsOf('nap'), { out: 'Ada:nap;' });
    assert.deepEqual(await outputsOf('tally'), { out: 'Ada:nap;tally;' });
    assert.deepEqual(await outputsOf('greeting'), { value: 'Ada:nap;tally;' });
    assert.deepEqual(await outputsOf('echo'), { value: audio });
    const big = await outputsOf('big');
    assert.ok(big.text.$spilled?.sha256, 'a 40 KB text is a $spilled marker, as the workflow carries it');
    const blob = await env.request('GET', `/api/v1/blobs/${big.text.$spilled.sha256}`);
    assert.equal(JSON.parse(blob.text).length, 40_000);

    const unknown = await env.request('GET', `/api/v1/runs/${runId}/nodes/nope/outputs`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error.code, 'RUN_NODE_NOT_FOUND');
  });

  test('resuming with Last-Event-ID (or ?after=) replays only later events', async () => {
    const middle = events[Math.floor(events.length / 2)];
    const later = events.filter((e) => Number(e.id) > Number(middle.id)).map((e) => e.id);
    const resumed = await readSse(`${env.url}/api/v1/runs/${runId}/events`, { 'last-event-id': middle.id });
    assert.deepEqual(resumed.events.map((e) => e.id), later);
    const viaQuery = await readSse(`${env.url}/api/v1/runs/${runId}/events?after=${middle.id}`);
    assert.deepEqual(viaQuery.events.map((e) => e.id), later);
  });
});

test('wait=30 answers 200 with the finished run and its outputs', async () => {
  const { status, json } = await env.request('POST', `/api/v1/pipelines/${greetingId}/runs?wait=30`, { body: { inputs: { who: 'Bo:', audio } } });
  assert.equal(status, 200);
  assert.equal(json.status, 'succeeded');
  assert.equal(json.outputs.greeting, 'Bo:nap;tally;');
  const inBody = await env.request('POST', `/api/v1/pipelines/${greetingId}/runs`, { body: { inputs: { who: 'Cy:', audio }, wait: 30 } });
  assert.equal(inBody.status, 200);
  assert.equal(inBody.json.outputs.greeting, 'Cy:nap;tally;');
});

test('a multipart start uploads the file fields as blobs and takes text fields as inputs', async () => {
  const form = new FormData();
  form.append('who', 'Di:');
  form.append('audio', new Blob([new Uint8Array(wavBytes(1600))], { type: 'audio/wav' }), 'long-note.wav');
  form.append('wait', '30');
  const { status, json } = await env.request('POST', `/api/v1/pipelines/${greetingId}/runs`, { body: form });
  assert.equal(status, 200, JSON.stringify(json));
  assert.equal(json.outputs.greeting, 'Di:nap;tally;');
  assert.match(json.outputs.audio.mime, /^audio\//);
  assert.equal(json.outputs.audio.size, wavBytes(1600).length);
  assert.equal(json.outputs.audio.name, 'long-note.wav');
  assert.equal(await env.deps.blobs.has(json.outputs.audio), true);
});

test('a failing node fails the run with a coded error naming the node', async () => {
  const pipelineId = await savePipeline(env, failingPipeline);
  const { status, json } = await env.request('POST', `/api/v1/pipelines/${pipelineId}/runs?wait=30`, { body: {} });
  assert.equal(status, 200);
  assert.equal(json.status, 'failed');
  assert.equal(json.error.code, 'NODE_FAILED');
  assert.equal(json.error.nodeId, 'boom');
  assert.match(json.error.message, /boom/);
  assert.match(json.error.message, /always fails/);
  assert.equal(json.nodes.boom.status, 'failed');
  const sse = await readSse(`${env.url}/api/v1/runs/${json.id}/events`);
  assertWellOrdered(sse.events);
  assert.ok(indexOf(sse.events, 'node.failed', 'boom') >= 0);
  assert.equal(sse.events.at(-1)?.data.data.status, 'failed');
  const outputs = await env.request('GET', `/api/v1/runs/${json.id}/nodes/boom/outputs`);
  assert.equal(outputs.status, 409);
  assert.equal(outputs.json.error.code, 'NODE_OUTPUTS_NOT_READY');
  assert.match(outputs.json.error.message, /"boom".*failed/);
});

test('cancelling a long run ends it as cancelled; cancelling again is 409 RUN_ALREADY_FINISHED', async () => {
  const pipelineId = await savePipeline(env, sleepPipeline(30_000));
  const started = await env.request('POST', `/api/v1/pipelines/${pipelineId}/runs`, { body: { inputs: {} } });
  assert.equal(started.status, 202);
  const runId = started.json.id;
  // Cancel once the node runs, so that a running activity is cancelled too.
  for (let i = 0; i < 200 && (await env.request('GET', `/api/v1/runs/${runId}`)).json.nodes.slow?.status !== 'running'; i++) await new Promise((r) => setTimeout(r, 100));
  const cancel = await env.request('POST', `/api/v1/runs/${runId}/cancel`);
  assert.equal(cancel.status, 202, cancel.text);
  assert.equal(cancel.json.id, runId);
  const run = await waitUntilFinished(env, runId);
  assert.equal(run.status, 'cancelled');
  assert.equal(run.error.code, 'RUN_CANCELLED');
  assert.equal(run.nodes.slow.status, 'cancelled');
  const again = await env.request('POST', `/api/v1/runs/${runId}/cancel`);
  assert.equal(again.status, 409);
  assert.equal(again.json.error.code, 'RUN_ALREADY_FINISHED');
  const sse = await readSse(`${env.url}/api/v1/runs/${runId}/events`);
  assertWellOrdered(sse.events);
  assert.equal(sse.events.at(-1)?.data.data.status, 'cancelled');
});

test('a run terminated from outside the API ends cancelled, its running node too', async () => {
  const pipelineId = await savePipeline(env, sleepPipeline(30_000));
  const { json } = await env.request('POST', `/api/v1/pipelines/${pipelineId}/runs`, { body: {} });
  for (let i = 0; i < 200 && (await env.request('GET', `/api/v1/runs/${json.id}`)).json.nodes.slow?.status !== 'running'; i++) await new Promise((r) => setTimeout(r, 100));
  await env.deps.client.workflow.getHandle(json.id).terminate('operator stop');
  const run = await waitUntilFinished(env, json.id);
  assert.equal(run.status, 'cancelled');
  assert.equal(run.error.code, 'RUN_CANCELLED');
  assert.match(run.error.message, /terminated/);
  assert.equal(run.nodes.slow.status, 'cancelled');
});

test('rerun starts the same version with the same inputs, trigger rerun', async () => {
  const first = await env.request('POST', `/api/v1/pipelines/${greetingId}/runs?wait=30`, { body: { inputs: { who: 'Ed:', audio } } });
  assert.equal(first.json.status, 'succeeded');
  const rerun = await env.request('POST', `/api/v1/runs/${first.json.id}/rerun?wait=30`);
  assert.equal(rerun.status, 200, rerun.text);
  assert.notEqual(rerun.json.id, first.json.id);
  assert.deepEqual(rerun.json.trigger, { type: 'rerun', id: first.json.id });
  assert.equal(rerun.json.pipelineVersion, first.json.pipelineVersion);
  assert.deepEqual(rerun.json.inputs, first.json.inputs);
  assert.equal(rerun.json.outputs.greeting, 'Ed:nap;tally;');
});

test('GET /runs filters by pipeline, status and trigger, and pages with a cursor', async () => {
  const pipelineId = await savePipeline(env, sleepPipeline(1));
  const ids: string[] = [];
  for (const text of ['a', 'b', 'c']) {
    const { json } = await env.request('POST', `/api/v1/pipelines/${pipelineId}/runs?wait=30`, { body: { inputs: { text } } });
    assert.equal(json.status, 'succeeded');
    ids.push(json.id);
  }
  const rerun = await env.request('POST', `/api/v1/runs/${ids[0]}/rerun?wait=30`);
  ids.push(rerun.json.id);

  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const { status, json } = await env.request('GET', `/api/v1/runs?pipelineId=${pipelineId}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(status, 200);
    assert.ok(json.items.length <= 2);
    seen.push(...json.items.map((r: any) => r.id));
    cursor = json.nextCursor;
  } while (cursor);
  assert.deepEqual([...seen].sort(), [...ids].sort(), 'every run once, across pages');

  const reruns = await env.request('GET', `/api/v1/runs?pipelineId=${pipelineId}&trigger=rerun`);
  assert.deepEqual(reruns.json.items.map((r: any) => r.id), [rerun.json.id]);
  const succeeded = await env.request('GET', `/api/v1/runs?pipelineId=${pipelineId}&status=succeeded`);
  assert.equal(succeeded.json.items.length, 4);
  const failed = await env.request('GET', `/api/v1/runs?pipelineId=${pipelineId}&status=failed`);
  assert.deepEqual(failed.json.items, []);
  const bad = await env.request('GET', '/api/v1/runs?status=sleeping');
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.code, 'REQUEST_INVALID');
});

test('wrong inputs are 400 with coded errors; unknown pipelines and versions 404', async () => {
  const runs = `/api/v1/pipelines/${greetingId}/runs`;
  const missing = await env.request('POST', runs, { body: { inputs: { audio } } });
  assert.equal(missing.status, 400);
  assert.equal(missing.json.error.code, 'RUN_INPUT_MISSING');
  assert.equal(missing.json.error.details.errors[0].details.input, 'who');
  const unknown = await env.request('POST', runs, { body: { inputs: { who: 'x', audio, colour: 'red' } } });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.json.error.code, 'RUN_INPUT_UNKNOWN');
  const invalid = await env.request('POST', runs, { body: { inputs: { who: 42, audio } } });
  assert.equal(invalid.status, 400);
  assert.equal(invalid.json.error.code, 'RUN_INPUT_INVALID');
  const notAudio = await env.request('POST', runs, { body: { inputs: { who: 'x', audio: { ...audio, sha256: 'f'.repeat(64) } } } });
  assert.equal(notAudio.status, 400);
  assert.equal(notAudio.json.error.code, 'RUN_INPUT_INVALID');
  const tooLong = await env.request('POST', `${runs}?wait=3600`, { body: { inputs: { who: 'x', audio } } });
  assert.equal(tooLong.status, 400);
  assert.equal(tooLong.json.error.code, 'REQUEST_INVALID');
  const formMissing = new FormData();
  formMissing.append('audio', new Blob([new Uint8Array(wavBytes())]), 'a.wav');
  const multipart = await env.request('POST', runs, { body: formMissing });
  assert.equal(multipart.status, 400);
  assert.equal(multipart.json.error.code, 'RUN_INPUT_MISSING');

  const noPipeline = await env.request('POST', '/api/v1/pipelines/pl_nope/runs', { body: { inputs: {} } });
  assert.equal(noPipeline.status, 404);
  assert.equal(noPipeline.json.error.code, 'PIPELINE_NOT_FOUND');
  const noVersion = await env.request('POST', runs, { body: { inputs: { who: 'x', audio }, version: 99 } });
  assert.equal(noVersion.status, 404);
  assert.equal(noVersion.json.error.code, 'VERSION_NOT_FOUND');
});

test('an unknown run is 404 RUN_NOT_FOUND everywhere', async () => {
  for (const [method, route] of [
    ['GET', '/api/v1/runs/run-nope'],
    ['GET', '/api/v1/runs/run-nope/events'],
    ['POST', '/api/v1/runs/run-nope/cancel'],
    ['POST', '/api/v1/runs/run-nope/rerun'],
    ['GET', '/api/v1/runs/run-nope/nodes/a/outputs'],
  ]) {
    const { status, json } = await env.request(method, route);
    assert.equal(status, 404, `${method} ${route}`);
    assert.equal(json.error.code, 'RUN_NOT_FOUND', `${method} ${route}`);
  }
});

test('a retried node reports node.retrying with its attempt before it succeeds', async () => {
  const pipelineId = await savePipeline(env, flakyPipeline(2));
  const { json } = await env.request('POST', `/api/v1/pipelines/${pipelineId}/runs?wait=60`, { body: {} });
  assert.equal(json.status, 'succeeded');
  assert.equal(json.nodes.flaky.attempt, 3);
  const sse = await readSse(`${env.url}/api/v1/runs/${json.id}/events`);
  assertWellOrdered(sse.events);
  const retrying = sse.events.filter((e) => e.event === 'node.retrying');
  assert.ok(retrying.length >= 1);
  assert.ok(retrying.every((e) => e.data.data.nodeId === 'flaky' && (e.data.data.attempt as number) > 1));
  assert.equal(retrying.at(-1)?.data.data.attempt, 3);
  assert.ok(sse.events.indexOf(retrying.at(-1)!) < indexOf(sse.events, 'node.succeeded', 'flaky'));
});

test('finished runs and node durations are counted in /metrics', async () => {
  const { text } = await env.request('GET', '/api/v1/metrics');
  assert.match(text, /tessera_runs_finished_total\{status="succeeded"\} [1-9]/);
  assert.match(text, /tessera_runs_finished_total\{status="failed"\} [1-9]/);
  assert.match(text, /tessera_node_duration_seconds_count\{type="test-sleep",status="succeeded"\} [1-9]/);
});

test('a run survives an API restart: open streams end cleanly, the new API follows it to its end', async () => {
  const pipelineId = await savePipeline(env, sleepPipeline(3_000));
  const started = await env.request('POST', `/api/v1/pipelines/${pipelineId}/runs`, { body: { inputs: { text: 'r:' } } });
  assert.equal(started.status, 202);
  const runId = started.json.id;
  const before = readSse(`${env.url}/api/v1/runs/${runId}/events`);
  for (let i = 0; i < 200 && (await env.request('GET', `/api/v1/runs/${runId}`)).json.nodes.slow?.status !== 'running'; i++) await new Promise((r) => setTimeout(r, 100));

  await env.restartApi();

  // The old server ended its stream (a clean end, not a reset) before the run finished.
  const first = await before;
  assert.equal(first.status, 200);
  assert.ok(first.events.length > 0);
  assert.notEqual(first.events.at(-1)?.event, 'run.finished');
  // The client resumes on the new server where it left off.
  const rest = await readSse(`${env.url}/api/v1/runs/${runId}/events`, { 'last-event-id': first.events.at(-1)!.id });
  const events = [...first.events, ...rest.events];
  assertWellOrdered(events);
  assert.ok(indexOf(events, 'node.started', 'slow') < indexOf(events, 'node.succeeded', 'slow'));
  assert.equal(events.at(-1)?.data.data.status, 'succeeded');
  const run = await waitUntilFinished(env, runId);
  assert.equal(run.status, 'succeeded');
  assert.deepEqual(run.outputs, { out: 'r:slow;' });
});
