/**
 * Issue 7 item 11: a run input's blob reference is checked against the stored blob, not trusted. A text
 * blob called image/png, or a PNG called audio/wav, is refused with RUN_INPUT_INVALID naming the input
 * (nothing recorded); an accepted reference is recorded with the stored media type and size, whatever
 * the request claimed, and a name that could act as a path is dropped.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';
import { savePipeline, uploadBytes } from '../support/api-runs.ts';
import { ROOT } from '../support/cli.ts';
import { wavBytes } from '../support/fixtures.ts';

let env: ApiEnv;
let pipelineId: string;
let text: any;
let png: any;
let wav: any;

const media: Pipeline = {
  format: 'tessera.pipeline/v1',
  name: 'media-inputs',
  nodes: [
    { id: 'photo', type: 'input', params: { name: 'photo', kind: 'image' } },
    { id: 'voice', type: 'input', params: { name: 'voice', kind: 'audio' } },
    { id: 'album', type: 'input', params: { name: 'album', kind: 'image[]' } },
    { id: 'o1', type: 'output', params: { name: 'photo' } },
    { id: 'o2', type: 'output', params: { name: 'voice' } },
    { id: 'o3', type: 'output', params: { name: 'album' } },
  ],
  edges: [
    { from: 'photo.value', to: 'o1.value' },
    { from: 'voice.value', to: 'o2.value' },
    { from: 'album.value', to: 'o3.value' },
  ],
};

before(async () => {
  env = await startApiEnv();
  pipelineId = await savePipeline(env, media);
  text = await uploadBytes(env, Buffer.from('just some words, not a picture\n'), 'notes.txt');
  png = await uploadBytes(env, readFileSync(`${ROOT}test/fixtures/pixel.png`), 'pixel.png');
  wav = await uploadBytes(env, wavBytes(), 'note.wav');
  assert.equal(text.mime, 'text/plain');
  assert.equal(png.mime, 'image/png');
});
after(() => env.close());

/** Starts a run with correct values for every input `inputs` does not give. */
const start = (inputs: Record<string, unknown>) =>
  env.request('POST', `/api/v1/pipelines/${pipelineId}/runs?wait=30`, { body: { inputs: { photo: png, voice: wav, album: [], ...inputs } } });

test('a blob whose content does not fit the input kind is refused, naming the input, whatever mime the request claims', async () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ photo: { ...text, mime: 'image/png' } }, 'photo', /Input "photo": the stored file is text\/plain \(the request called it image\/png\), which is not an image/],
    [{ voice: { ...png, mime: 'audio/wav' } }, 'voice', /Input "voice": the stored file is image\/png \(the request called it audio\/wav\), which is not audio/],
    [{ album: [png, { ...wav, mime: 'image/png' }] }, 'album', /Input "album" item 1: the stored file is audio\/(wav|x-wav|vnd\.wave)/],
  ];
  for (const [inputs, name, message] of cases) {
    const response = await start(inputs);
    assert.equal(response.status, 400, response.text);
    assert.equal(response.json.error.code, 'RUN_INPUT_INVALID');
    assert.match(response.json.error.message, message);
    const [error] = response.json.error.details.errors;
    assert.equal(error.nodeId, name);
    assert.deepEqual(error.details, { input: name });
  }
  assert.deepEqual((await env.request('GET', '/api/v1/runs')).json.items, [], 'a refused run left a row');
});

test('the run records the stored media type and size, not the claimed ones, and no path-like name', async () => {
  const response = await start({
    photo: { sha256: png.sha256, mime: 'image/jpeg', size: 1, name: '..' },
    voice: { sha256: wav.sha256, mime: 'video/mp4', size: 10 ** 9, name: '../../etc/passwd' },
    album: [{ ...png, name: 'a/b' }],
  });
  assert.equal(response.status, 200, response.text);
  assert.equal(response.json.status, 'succeeded', JSON.stringify(response.json.error));
  const run = (await env.request('GET', `/api/v1/runs/${response.json.id}`)).json;
  assert.deepEqual(run.inputs.photo, { sha256: png.sha256, mime: 'image/png', size: png.size });
  assert.deepEqual(run.inputs.voice, { sha256: wav.sha256, mime: wav.mime, size: wav.size, name: 'passwd' });
  assert.deepEqual(run.inputs.album, [{ sha256: png.sha256, mime: 'image/png', size: png.size, name: 'b' }]);
  assert.deepEqual(run.outputs.photo, run.inputs.photo, 'the workflow received the stored reference');
});

test('a missing blob is still refused, and schedules check references the same way', async () => {
  const missing = await start({ photo: { ...png, sha256: 'f'.repeat(64) } });
  assert.equal(missing.status, 400);
  assert.match(missing.json.error.message, /Input "photo": blob f{64} was never uploaded/);
  const schedule = await env.request('POST', `/api/v1/pipelines/${pipelineId}/schedules`, { body: { interval: '1h', inputs: { photo: { ...text, mime: 'image/png' }, voice: wav, album: [] } } });
  assert.equal(schedule.status, 400, schedule.text);
  assert.equal(schedule.json.error.code, 'RUN_INPUT_INVALID');
});
