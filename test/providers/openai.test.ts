/** The OpenAI provider through the real `openai` SDK against the fake server: what was sent, what came back. */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OpenAIProvider } from '../../engine/providers/openai.ts';
import { NodeError } from '../../engine/node-sdk/define-node.ts';
import { contentMarker, startFakeProviders, type FakeProviders } from '../support/fake-provider-server.ts';
import { fakeKey } from '../support/fake-keys.ts';

const KEY = fakeKey('sk-test-openai-');
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), contentMarker('a red square')]);
let fake: FakeProviders;
let openai: OpenAIProvider;

before(async () => {
  fake = await startFakeProviders();
  openai = new OpenAIProvider({ name: 'openai', apiKey: KEY, baseURL: fake.openaiBaseURL, pricing: 'openai', maxEmbedBatch: 3, imageEmbeddingModels: ['clip-vit'] });
});
beforeEach(() => fake.reset());
after(() => fake.close());

const user = (text: string) => ({ role: 'user' as const, content: [{ type: 'text' as const, text }] });

test('chat sends images as data URLs with their media type and detail, and the system prompt first', async () => {
  const result = await openai.chat.chat({
    model: 'gpt-4o',
    system: 'You describe images.',
    maxTokens: 200,
    temperature: 0.2,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', image: { data: PNG, mime: 'image/png' }, detail: 'high' }] }],
  });
  const [req] = fake.requestsTo('chat');
  assert.equal(fake.requests.length, 1);
  assert.equal(req!.json.model, 'gpt-4o');
  assert.deepEqual(req!.json.messages[0], { role: 'system', content: 'You describe images.' });
  const [text, image] = req!.json.messages[1].content;
  assert.deepEqual(text, { type: 'text', text: 'What is this?' });
  assert.equal(image.type, 'image_url');
  assert.equal(image.image_url.detail, 'high');
  assert.equal(image.image_url.url, `data:image/png;base64,${PNG.toString('base64')}`);
  assert.equal(req!.json.max_completion_tokens, 200);
  assert.equal(req!.json.temperature, 0.2);
  assert.deepEqual(req!.auth, { present: true, scheme: 'bearer', keyId: req!.auth.keyId });
  assert.equal(req!.rawKey, KEY);

  assert.match(result.text, /What is this\? \[image\/png \d+ bytes: a red square\]/);
  assert.equal(result.usage.provider, 'openai');
  assert.equal(result.usage.images, 1);
  assert.ok(result.usage.inputTokens! > 0 && result.usage.outputTokens! > 0);
  const expected = (result.usage.inputTokens! * 2.5 + result.usage.outputTokens! * 10) / 1e6;
  assert.ok(Math.abs(result.usage.costUsd! - expected) < 1e-9);
});

test('a scripted answer comes back as is; detail defaults to auto; unsupported image types are refused before sending', async () => {
  fake.script('chat', { text: 'A red square.' });
  const result = await openai.chat.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: [{ type: 'image', image: { data: PNG, mime: 'image/png' } }] }] });
  assert.equal(result.text, 'A red square.');
  assert.equal(fake.requestsTo('chat')[0]!.json.messages[0].content[0].image_url.detail, 'auto');

  await assert.rejects(
    openai.chat.chat({ model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'image', image: { data: Buffer.from('II*'), mime: 'image/tiff' } }] }] }),
    (err: NodeError) => err.code === 'PROVIDER_MEDIA_UNSUPPORTED' && err.options.retryable === false && /image\/tiff/.test(err.message),
  );
  assert.equal(fake.requests.length, 1);
});

test('structured output carries the schema, strict, under a safe name, and returns the parsed value', async () => {
  const schema = { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name', 'age'], additionalProperties: false };
  fake.script('chat', { value: { name: 'Ada', age: 36 } });
  const result = await openai.structured.structured({ model: 'gpt-4o', schema, schemaName: 'patient record', messages: [user('Ada, 36')] });
  assert.deepEqual(result.value, { name: 'Ada', age: 36 });
  const format = fake.requestsTo('chat')[0]!.json.response_format;
  assert.deepEqual(format, { type: 'json_schema', json_schema: { name: 'patient_record', strict: true, schema } });
  assert.ok(result.usage.costUsd! > 0);
});

test('structured output wraps a non-object schema and unwraps the answer', async () => {
  const result = await openai.structured.structured({ model: 'gpt-4o', schema: { type: 'array', items: { type: 'string' } }, schemaName: 'tags', messages: [user('tags')] });
  assert.deepEqual(result.value, ['example']);
  const sent = fake.requestsTo('chat')[0]!.json.response_format.json_schema.schema;
  assert.deepEqual(sent.required, ['value']);
  assert.equal(sent.properties.value.type, 'array');
});

test('structured output: refusal, truncation and invalid JSON are told apart', async () => {
  const schema = { type: 'object', properties: {}, additionalProperties: false };
  const ask = () => openai.structured.structured({ model: 'gpt-4o', schema, schemaName: 's', messages: [user('x')] });
  fake.script('chat', (_req, defaults) => {
    const body = defaults() as any;
    body.choices[0].message = { role: 'assistant', content: null, refusal: 'I cannot help with that.' };
    return { json: body };
  });
  await assert.rejects(ask(), (err: NodeError) => err.code === 'PROVIDER_REFUSED' && !err.options.retryable && /cannot help/.test(err.message));
  fake.script('chat', (_req, defaults) => {
    const body = defaults() as any;
    body.choices[0].finish_reason = 'length';
    return { json: body };
  });
  await assert.rejects(ask(), (err: NodeError) => err.code === 'PROVIDER_OUTPUT_TRUNCATED' && !err.options.retryable);
  fake.script('chat', { text: '{"half": ' });
  await assert.rejects(ask(), (err: NodeError) => err.code === 'PROVIDER_BAD_RESPONSE' && err.options.retryable === true);
});

test('whisper-1 transcription: multipart fields, verbose_json segments, language and audio minutes', async () => {
  const audio = Buffer.concat([Buffer.alloc(48_000), contentMarker('Take two tablets. Call me tomorrow.')]);
  const result = await openai.transcribe.transcribe({ model: 'whisper-1', audio: { data: audio, mime: 'audio/mpeg', name: 'note' }, language: 'en', prompt: 'Ibuprofen, paracetamol.' });
  const [req] = fake.requestsTo('transcriptions');
  assert.deepEqual(req!.form!.fields, { model: 'whisper-1', response_format: 'verbose_json', language: 'en', prompt: 'Ibuprofen, paracetamol.' });
  assert.equal(req!.form!.files.length, 1);
  assert.deepEqual({ ...req!.form!.files[0]!, data: undefined, sha256: undefined }, { field: 'file', name: 'note.mp3', mime: 'audio/mpeg', size: audio.length, data: undefined, sha256: undefined });

  assert.equal(result.text, 'Take two tablets. Call me tomorrow.');
  assert.deepEqual(result.segments.map((s) => s.text), ['Take two tablets.', 'Call me tomorrow.']);
  assert.ok(result.segments[1]!.start >= result.segments[0]!.end - 1e-9);
  assert.equal(result.language, 'english');
  assert.ok(result.usage.audioSeconds! > 3);
  assert.ok(Math.abs(result.usage.costUsd! - (result.usage.audioSeconds! / 60) * 0.006) < 1e-9);
  assert.equal(openai.transcribe.maxUploadBytes, 25 * 1024 * 1024);
});

test('gpt-4o-transcribe asks for json and gets one segment; token usage is priced', async () => {
  const chunks = [Buffer.alloc(1000, 1), Buffer.alloc(2000, 2)];
  const texts: string[] = [];
  for (const data of chunks) {
    const r = await openai.transcribe.transcribe({ model: 'gpt-4o-transcribe', audio: { data, mime: 'audio/wav', name: 'chunk.wav' }, durationSeconds: 12 });
    texts.push(r.text);
    assert.equal(r.segments.length, 1);
    assert.deepEqual(r.segments[0], { start: 0, end: 12, text: r.text });
    assert.equal(r.usage.audioSeconds, 12);
    assert.ok(r.usage.inputTokens! > 0 && r.usage.costUsd! > 0);
  }
  // The fake's default transcript names the upload's size: chunk order is visible in the results.
  assert.match(texts[0]!, /^audio 1000 bytes/);
  assert.match(texts[1]!, /^audio 2000 bytes/);
  const fields = fake.requestsTo('transcriptions').map((r) => r.form!.fields);
  assert.deepEqual(fields, [{ model: 'gpt-4o-transcribe', response_format: 'json' }, { model: 'gpt-4o-transcribe', response_format: 'json' }]);
});

test('audio in a file is uploaded from the file (a file-backed Blob): the same bytes, name and type as from memory', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-openai-file-'));
  try {
    const data = Buffer.concat([randomBytes(3 * 1024 * 1024), contentMarker('Read from the disk.')]);
    const file = path.join(dir, 'chunk-0.mp3');
    await writeFile(file, data);
    const fromFile = await openai.transcribe.transcribe({ model: 'whisper-1', audio: { path: file, size: data.length, mime: 'audio/mpeg', name: 'chunk-0.mp3' } });
    const fromMemory = await openai.transcribe.transcribe({ model: 'whisper-1', audio: { data, mime: 'audio/mpeg', name: 'chunk-0.mp3' } });
    const [a, b] = fake.requestsTo('transcriptions').map((r) => r.form!.files[0]!);
    assert.deepEqual({ ...a!, data: undefined }, { ...b!, data: undefined });
    assert.equal(a!.sha256, createHash('sha256').update(data).digest('hex'));
    assert.equal(a!.size, data.length);
    assert.equal(fromFile.text, 'Read from the disk.');
    assert.equal(fromMemory.text, fromFile.text);
    // Over the limit by the size it is given: refused before anything is read or sent.
    const small = new OpenAIProvider({ name: 'openai', apiKey: KEY, baseURL: fake.openaiBaseURL, maxUploadBytes: 100 });
    fake.reset();
    await assert.rejects(
      small.transcribe.transcribe({ model: 'whisper-1', audio: { path: file, size: data.length, mime: 'audio/mpeg' } }),
      (err: NodeError) => err.code === 'PROVIDER_MEDIA_UNSUPPORTED' && !err.options.retryable,
    );
    assert.equal(fake.requests.length, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an upload over maxUploadBytes is refused before sending', async () => {
  const small = new OpenAIProvider({ name: 'openai', apiKey: KEY, baseURL: fake.openaiBaseURL, maxUploadBytes: 100 });
  await assert.rejects(
    small.transcribe.transcribe({ model: 'whisper-1', audio: { data: Buffer.alloc(101), mime: 'audio/wav' } }),
    (err: NodeError) => err.code === 'PROVIDER_MEDIA_UNSUPPORTED' && !err.options.retryable,
  );
  assert.equal(fake.requests.length, 0);
});

test('embeddings are batched by maxBatch, kept in input order, and similar texts are similar', async () => {
  const texts = ['the cat sat', 'a cat sat down', 'quarterly revenue report', 'cat', 'revenue', 'dog', 'tax'];
  const result = await openai.embed.embed({ model: 'text-embedding-3-small', inputs: texts.map((text) => ({ type: 'text', text })) });
  const batches = fake.requestsTo('embeddings').map((r) => r.json.input);
  assert.deepEqual(batches, [texts.slice(0, 3), texts.slice(3, 6), texts.slice(6)]);
  assert.equal(result.vectors.length, texts.length);
  const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
  assert.ok(cos(result.vectors[0]!, result.vectors[1]!) > cos(result.vectors[0]!, result.vectors[2]!));
  // The SDK asked for base64 and decoded it; vectors are plain number arrays.
  assert.equal(fake.requestsTo('embeddings')[0]!.json.encoding_format, 'base64');
  assert.ok(Array.isArray(result.vectors[0]) && typeof result.vectors[0]![0] === 'number');
  assert.equal(result.usage.inputTokens, texts.join(' ').split(' ').length);
  assert.ok(result.usage.costUsd! > 0);
});

test('image embeddings only for models known to take images', async () => {
  assert.equal(openai.embed.supportsImages('clip-vit'), true);
  assert.equal(openai.embed.supportsImages('text-embedding-3-small'), false);
  await assert.rejects(
    openai.embed.embed({ model: 'text-embedding-3-small', inputs: [{ type: 'image', image: { data: PNG, mime: 'image/png' } }] }),
    (err: NodeError) => err.code === 'PROVIDER_MEDIA_UNSUPPORTED' && /imageEmbeddingModels/.test(err.message),
  );
  assert.equal(fake.requests.length, 0);

  const result = await openai.embed.embed({ model: 'clip-vit', inputs: [{ type: 'image', image: { data: PNG, mime: 'image/png' } }, { type: 'text', text: 'a red square' }] });
  const [input] = fake.requestsTo('embeddings').map((r) => r.json.input);
  assert.equal(input[0], `data:image/png;base64,${PNG.toString('base64')}`);
  assert.equal(result.usage.images, 1);
  assert.equal(result.usage.costUsd, undefined, 'an unknown model has no price');
  // The image "contains" a red square (its content marker), so it lands next to that text.
  const cos = result.vectors[0]!.reduce((s, x, i) => s + x * result.vectors[1]![i]!, 0);
  assert.ok(cos > 0.99);
});

test('an OpenAI-compatible server: max_tokens, float embeddings, no key means no Authorization header', async () => {
  const local = new OpenAIProvider({ name: 'compatible', baseURL: fake.openaiBaseURL, dialect: 'compatible' });
  const chat = await local.chat.chat({ model: 'llama3.2', maxTokens: 50, messages: [user('hello')] });
  await local.embed.embed({ model: 'nomic-embed-text', inputs: [{ type: 'text', text: 'hello' }] });
  const [c, e] = fake.requests;
  assert.equal(c!.json.max_tokens, 50);
  assert.equal(c!.json.max_completion_tokens, undefined);
  assert.equal(e!.json.encoding_format, 'float');
  assert.deepEqual(c!.auth, { present: false });
  assert.equal(chat.usage.provider, 'compatible');
  assert.equal(chat.usage.costUsd, undefined, 'a local server has no price, even for a known model name');
});

test('an empty embedding request sends nothing', async () => {
  const result = await openai.embed.embed({ model: 'text-embedding-3-small', inputs: [] });
  assert.deepEqual(result.vectors, []);
  assert.equal(fake.requests.length, 0);
});
