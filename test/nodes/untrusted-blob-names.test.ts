/**
 * Issue 7 item 12, through a real worker on Temporal (transcribe against the fake OpenAI server): a
 * blob reference's `name` is a client's text and never becomes a path (".." used to make the node open
 * the temp folder itself, EISDIR, retried five times), and a media error is a user error: not retried,
 * and its message names no worker folder or memory address.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import type { BlobRef } from '../../engine/blob/ref.ts';
import { runError } from '../../engine/run/run-error.ts';
import { createProviders } from '../../engine/providers/index.ts';
import { nodeStatusQuery } from '../../engine/run/start.ts';
import type { NodeState, RunPipelineResult } from '../../engine/run/plan.ts';
import { startFakeProviders, type FakeProviders } from '../support/fake-provider-server.ts';
import { wavBytes } from '../support/fixtures.ts';
import { TEST_KEYS } from '../support/node-harness.ts';
import { createTemporalEnv, pipeline, type TemporalEnv } from '../support/temporal-env.ts';

let env: TemporalEnv;
let fake: FakeProviders;
let speech: BlobRef;
let corrupt: BlobRef;

const doc = pipeline(
  'transcribe-untrusted',
  [
    { id: 'audio', type: 'input', params: { name: 'audio', kind: 'audio' } },
    { id: 'stt', type: 'transcribe', params: {} },
    { id: 'out', type: 'output', params: { name: 'text' } },
  ],
  ['audio.value->stt.audio', 'stt.text->out.value'],
);

before(async () => {
  fake = await startFakeProviders();
  env = await createTemporalEnv();
  const providers = createProviders({ OPENAI_API_KEY: TEST_KEYS.openai, OPENAI_BASE_URL: fake.openaiBaseURL }, undefined, []);
  await env.startWorker({ providers });
  speech = await env.blobs.put(wavBytes(8000));
  // A RIFF/WAVE header over garbage: sniffed as audio/wav, refused by ffprobe.
  corrupt = await env.blobs.put(Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'), Buffer.alloc(400, 0xff)]));
  assert.equal(corrupt.mime, 'audio/wav');
});
after(async () => {
  await env.close();
  await fake.close();
});

test('names such as "..", "../../x" and "a/b" do not become paths: the node runs once and succeeds', async () => {
  for (const name of ['..', '../../x', 'a/b', '.']) {
    const handle = await env.start(doc, { audio: { ...speech, name } }, 'api');
    const result = (await handle.result()) as RunPipelineResult;
    assert.equal(typeof result.outputs.text, 'string', name);
    assert.equal(result.nodes.stt?.attempt, 1, `${name}: attempts`);
  }
});

test('corrupt audio fails at the first attempt with MEDIA_CORRUPT, without the worker\'s temp folder in the message', async () => {
  for (const origin of ['api', 'cli'] as const) {
    const handle = await env.start(doc, { audio: { ...corrupt, name: '..' } }, origin);
    const error = await handle.result().then(
      () => assert.fail('the corrupt file was transcribed'),
      (err: unknown) => runError(err),
    );
    assert.equal(error.code, 'NODE_FAILED');
    assert.equal((error.details as { code?: string }).code, 'MEDIA_CORRUPT', error.message);
    const states = await handle.query(nodeStatusQuery);
    assert.equal(states.stt?.attempt, 1, 'a user error is not retried');
    for (const message of [error.message, states.stt?.error?.message ?? '']) {
      assert.match(message, /corrupt/);
      assert.ok(!message.includes(os.tmpdir()) && !message.includes('tessera-media-'), `${origin}: the message names a worker folder: ${message}`);
      assert.doesNotMatch(message, /0x[0-9a-f]{6,}/i, 'no memory addresses');
    }
  }
});
