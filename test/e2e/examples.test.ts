/**
 * The example pipelines end to end, as a user runs them: `tessera run` against a `tessera dev` (real
 * Temporal), with the official SDKs talking to the fake provider server. Also: provider faults at run
 * level (one retry layer) and a check that API keys never reach history, logs or the data folder.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import sharp from 'sharp';
import { contentMarker, startFakeProviders, type FakeProviders, type RecordedRequest } from '../support/fake-provider-server.ts';
import { startDev, tessera, type CliResult, type DevProcess } from '../support/cli.ts';
import { speechWav } from '../support/speech.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-e2e-'));
const OPENAI_KEY = `sk-tessera-e2e-${randomBytes(12).toString('hex')}`;
const ANTHROPIC_KEY = `sk-ant-tessera-e2e-${randomBytes(12).toString('hex')}`;
let fake: FakeProviders;
let dev: DevProcess;
let providerEnv: Record<string, string>;
const outputsSeen: string[] = [];

before(async () => {
  fake = await startFakeProviders();
  providerEnv = {
    OPENAI_API_KEY: OPENAI_KEY,
    OPENAI_BASE_URL: fake.openaiBaseURL,
    ANTHROPIC_API_KEY: ANTHROPIC_KEY,
    ANTHROPIC_BASE_URL: fake.anthropicBaseURL,
    TESSERA_COMPATIBLE_BASE_URL: fake.openaiBaseURL,
    TESSERA_COMPATIBLE_IMAGE_EMBEDDING_MODELS: 'clip-vit-base-patch32',
    TESSERA_LOG_LEVEL: 'debug', // the most verbose logs are the most likely to leak
  };
  dev = await startDev(path.join(dir, 'data'), providerEnv);
});

after(async () => {
  await dev?.stop();
  await fake?.close();
});

async function run(args: string[]): Promise<CliResult & { body: any }> {
  const result = await tessera(['run', ...args, '--json'], { env: { ...dev.env, ...providerEnv } });
  outputsSeen.push(result.stdout, result.stderr);
  let body: any;
  try {
    body = JSON.parse(result.stdout);
  } catch {
    body = undefined;
  }
  return { ...result, body };
}

async function png(file: string, width: number, height: number, marker?: string, color = '#88aacc'): Promise<string> {
  const image = await sharp({ create: { width, height, channels: 3, background: color } }).png().toBuffer();
  writeFileSync(file, marker ? Buffer.concat([image, contentMarker(marker)]) : image);
  return file;
}

const hasImagePart = (req: RecordedRequest) =>
  (req.json?.messages ?? []).some((m: any) => Array.isArray(m.content) && m.content.some((p: any) => p.type === 'image_url' || p.type === 'image'));

describe('example pipelines', () => {
  test('voice-note-to-summary: transcribe with the clinical prompt, extract clinical JSON, summarise', async () => {
    fake.reset();
    const wav = path.join(dir, 'note.wav');
    speechWav('voice-note', wav);
    const transcript = 'Patient reports headaches. Start metformin 500 mg twice daily. Review in two weeks.';
    const fields = {
      medications: [{ name: 'metformin', dose: '500 mg', frequency: 'twice daily' }],
      complaints: ['headaches'],
      symptoms: ['headache'],
      decisions: ['start metformin'],
      follow_up: ['review in two weeks'],
    };
    fake.script('transcriptions', { text: transcript });
    const answer = (req: RecordedRequest) => (req.json?.response_format ? { value: fields } : { text: 'Summary: metformin started; review in two weeks.' });
    fake.script('chat', answer, answer);

    const result = await run(['examples/voice-note-to-summary.pipeline.json', '--input', `audio=@${wav}`]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.body.outputs.fields, fields);
    assert.equal(result.body.outputs.transcript, transcript);
    assert.match(result.body.outputs.summary, /metformin started/);

    const [stt] = fake.requestsTo('transcriptions');
    assert.equal(stt.form!.fields.model, 'whisper-1');
    assert.equal(stt.form!.fields.language, 'en');
    assert.match(stt.form!.fields.prompt, /clinical consultation/);
    assert.match(stt.form!.files[0].mime, /^audio\//);
    const extract = fake.requestsTo('chat').find((r) => r.json.response_format)!;
    assert.equal(extract.json.response_format.type, 'json_schema');
    assert.equal(extract.json.response_format.json_schema.strict, true);
    assert.ok(extract.json.response_format.json_schema.schema.properties.medications);
    const summary = fake.requestsTo('chat').find((r) => !r.json.response_format)!;
    assert.ok(JSON.stringify(summary.json.messages).includes(transcript), 'the transcript reached the summary prompt');
    assert.equal(result.body.usage.calls, 3);
    assert.ok(result.body.usage.costUsd > 0, 'priced models give an estimated cost');
  });

  test('document-to-json: dynamic tiles, each read by the vision model, then fields extracted', async () => {
    fake.reset();
    const scan = await png(path.join(dir, 'form.png'), 1344, 896);
    const result = await run(['examples/document-to-json.pipeline.json', '--input', `image=@${scan}`]);
    assert.equal(result.code, 0, result.stderr);
    const ocrCalls = fake.requestsTo('chat').filter(hasImagePart);
    assert.equal(ocrCalls.length, 6, 'a 3:2 image at most 6 tiles is a 2x3 grid');
    for (const call of ocrCalls) {
      const image = call.json.messages[0].content.find((p: any) => p.type === 'image_url');
      assert.match(image.image_url.url, /^data:image\/png;base64,/);
      assert.match(JSON.stringify(call.json.messages), /Transcribe ALL text visible in this image exactly as written/);
    }
    const extract = fake.requestsTo('chat').filter((r) => r.json.response_format);
    assert.equal(extract.length, 1);
    assert.equal(typeof result.body.outputs.fields.title, 'string');
    assert.equal(typeof result.body.outputs.text, 'string');
  });

  test('image-search-index then image-search-query: captions merged into text, indexed, found again', async () => {
    fake.reset();
    const apple = await png(path.join(dir, 'apple.png'), 64, 48, 'a red apple on a wooden table', '#cc2222');
    const car = await png(path.join(dir, 'car.png'), 64, 48, 'a blue car parked on the street', '#2222cc');
    const first = await run(['examples/image-search-index.pipeline.json', '--input', `images=@${apple}`, '--input', 'text=Fruit notes.']);
    assert.equal(first.code, 0, first.stderr);
    const second = await run(['examples/image-search-index.pipeline.json', '--input', `images=@${car}`, '--input', 'text=Vehicle notes.']);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.body.outputs.count, 2);
    const doc = second.body.outputs.document;
    assert.equal(doc.text, 'Vehicle notes.');
    assert.equal(doc.captions.length, 1);
    assert.match(doc.combined, /^Vehicle notes\.\n\n\[Figure 1 description\]: .*blue car/s);

    const captionCall = fake.requestsTo('messages')[0];
    const block = captionCall.json.messages[0].content.find((b: any) => b.type === 'image');
    assert.equal(block.source.type, 'base64');
    assert.equal(block.source.media_type, 'image/png');

    const query = await run(['examples/image-search-query.pipeline.json', '--input', 'query=blue car']);
    assert.equal(query.code, 0, query.stderr);
    const results = query.body.outputs.results as { id: string; score: number; document: any }[];
    assert.equal(results.length, 2);
    assert.equal(results[0].document.text, 'Vehicle notes.');
    assert.ok(results[0].score > results[1].score);
  });

  test('image-text-similarity: CLIP-style embeddings of images and labels match each image to its label', async () => {
    fake.reset();
    const apple = await png(path.join(dir, 'apple2.png'), 32, 32, 'a red apple');
    const car = await png(path.join(dir, 'car2.png'), 32, 32, 'a blue car');
    const result = await run([
      'examples/image-text-similarity.pipeline.json',
      '--input', `images=@${apple}`, '--input', `images=@${car}`,
      '--input', 'labels=a blue car', '--input', 'labels=a red apple',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.body.outputs.best.map((b: any) => b.col), [1, 0]);
    const imageRequest = fake.requestsTo('embeddings').find((r) => JSON.stringify(r.json.input).includes('data:image/png'));
    assert.ok(imageRequest, 'the images were sent to the embeddings endpoint');
    assert.equal(imageRequest.json.model, 'clip-vit-base-patch32');
  });

  test('describe-clinical-image: GPT-4o and Claude both get the clinical-safety system prompt', async () => {
    fake.reset();
    const xray = await png(path.join(dir, 'xray.png'), 40, 40, 'a chest x-ray');
    const result = await run(['examples/describe-clinical-image.pipeline.json', '--input', `image=@${xray}`]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.body.outputs.gpt4o, /chest x-ray/);
    assert.match(result.body.outputs.claude, /chest x-ray/);
    const openai = fake.requestsTo('chat')[0].json;
    assert.match(JSON.stringify(openai.messages[0]), /do not make diagnostic conclusions/);
    assert.equal(openai.messages[1].content.find((p: any) => p.type === 'image_url').image_url.detail, 'high');
    const anthropic = fake.requestsTo('messages')[0].json;
    assert.match(JSON.stringify(anthropic.system), /specialist review/);
  });
});

describe('provider faults at run level', () => {
  const pipelineFile = () => {
    const file = path.join(dir, 'caption-one.json');
    writeFileSync(
      file,
      JSON.stringify({
        format: 'tessera.pipeline/v1',
        name: 'caption-one',
        nodes: [
          { id: 'photo', type: 'input', params: { name: 'image', kind: 'image' } },
          { id: 'describe', type: 'caption', params: { provider: 'openai', model: 'gpt-4o', detail: 'low' }, options: { retry: { initialInterval: '100ms' } } },
          { id: 'out', type: 'output', params: { name: 'caption' } },
        ],
        edges: [
          { from: 'photo.value', to: 'describe.image' },
          { from: 'describe.text', to: 'out.value' },
        ],
      }),
    );
    return file;
  };

  test('a 429 is retried once by Temporal after Retry-After, with no SDK retries on top', async () => {
    fake.reset();
    fake.fault('chat', 'rate-limit', { retryAfter: 1 });
    const image = await png(path.join(dir, 'cat.png'), 20, 20, 'a cat');
    const result = await run([pipelineFile(), '--input', `image=@${image}`]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.body.outputs.caption, /a cat/);
    assert.equal(fake.requestsTo('chat').length, 2, 'exactly one failed request and one retry');
  });

  test('a 401 fails the run at once, naming the node, provider and model, without leaking the key', async () => {
    fake.reset();
    fake.fault('chat', 'status', { status: 401 });
    const image = await png(path.join(dir, 'dog.png'), 20, 20, 'a dog');
    const result = await run([pipelineFile(), '--input', `image=@${image}`]);
    assert.equal(result.code, 1);
    assert.equal(result.body.status, 'failed');
    assert.equal(result.body.error.nodeId, 'describe');
    assert.equal(result.body.error.details.code, 'PROVIDER_AUTH_FAILED');
    assert.match(result.body.error.message, /Node "describe" \(caption\) failed: openai model "gpt-4o"/);
    assert.equal(fake.requestsTo('chat').length, 1, 'not retried');
    assert.ok(!result.stdout.includes(OPENAI_KEY));
  });
});

test('API keys appear in no run history, no log line and no file of the data folder', async () => {
  const address = `127.0.0.1:${dev.env.TESSERA_TEMPORAL_PORT}`;
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection });
    let histories = 0;
    for await (const execution of client.workflow.list()) {
      const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      const text = JSON.stringify(history);
      assert.ok(!text.includes(OPENAI_KEY) && !text.includes(ANTHROPIC_KEY), `history of ${execution.workflowId} holds a key`);
      histories += 1;
    }
    assert.ok(histories >= 8, `checked ${histories} histories`);
  } finally {
    await connection.close();
  }
  const logs = [...outputsSeen, dev.stderr()].join('\n');
  assert.ok(logs.length > 0);
  assert.ok(!logs.includes(OPENAI_KEY) && !logs.includes(ANTHROPIC_KEY), 'a log holds a key');
  for (const file of filesUnder(path.join(dir, 'data'))) {
    const bytes = readFileSync(file);
    assert.ok(!bytes.includes(OPENAI_KEY) && !bytes.includes(ANTHROPIC_KEY), `${file} holds a key`);
  }
  // The check can fail: the fake server did receive the key.
  assert.ok(fake.requests.some((r) => r.rawKey === OPENAI_KEY));
});

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(root, f))
    .filter((f) => statSync(f).isFile());
}
