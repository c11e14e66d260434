/** The fake provider server itself: scripting order, recording, and the key staying out of dumps. */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { exampleFor, startFakeProviders, type FakeProviders } from '../support/fake-provider-server.ts';

let fake: FakeProviders;
let client: OpenAI;
before(async () => {
  fake = await startFakeProviders();
  client = new OpenAI({ apiKey: 'sk-fake-server-test-key', baseURL: fake.openaiBaseURL, maxRetries: 0 });
});
beforeEach(() => fake.reset());
after(() => fake.close());

const ask = async (text: string) => (await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: text }] })).choices[0]!.message.content;

test('scripts answer in order, per route, then the default answer takes over', async () => {
  fake.script('chat', { text: 'one' }, (req) => ({ text: `two for ${req.json.messages[0].content}` }));
  fake.script('embeddings', { status: 500 });
  assert.equal(await ask('a'), 'one');
  assert.equal(await ask('b'), 'two for b');
  assert.equal(await ask('c'), 'echo: c');
  assert.deepEqual(fake.requests.map((r) => r.route), ['chat', 'chat', 'chat']);
});

test('faults can repeat; reset forgets scripts and requests', async () => {
  fake.fault('chat', 'server-error', { times: 2 });
  await assert.rejects(ask('x'), { status: 500 });
  await assert.rejects(ask('x'), { status: 500 });
  assert.equal(await ask('x'), 'echo: x');
  fake.fault('chat', 'server-error');
  fake.reset();
  assert.equal(fake.requests.length, 0);
  assert.equal(await ask('y'), 'echo: y');
});

test('the key is recorded as a short id; the raw key is there for tests but never in a dump', async () => {
  await ask('k');
  const [req] = fake.requests;
  assert.equal(req!.rawKey, 'sk-fake-server-test-key');
  assert.equal(req!.headers.authorization, undefined);
  assert.match(req!.auth.keyId!, /^[0-9a-f]{8}$/);
  assert.ok(!JSON.stringify(fake.requests).includes('sk-fake-server-test-key'));
});

test('models, unknown routes and the multipart recording', async () => {
  const models = await client.models.list();
  assert.ok(models.data.some((m) => m.id === 'whisper-1'));
  const res = await fetch(`${fake.url}/v1/nothing`, { method: 'POST' });
  assert.equal(res.status, 404);
  const form = new FormData();
  form.append('model', 'whisper-1');
  form.append('file', new Blob([Buffer.from('RIFF')], { type: 'audio/wav' }), 'a.wav');
  const t = await fetch(`${fake.openaiBaseURL}/audio/transcriptions`, { method: 'POST', body: form });
  assert.deepEqual(await t.json(), { text: 'audio 4 bytes a40ff3d5', usage: { type: 'tokens', input_tokens: 0, output_tokens: 4, total_tokens: 4 } });
  const file = fake.requestsTo('transcriptions')[0]!.form!.files[0]!;
  assert.deepEqual([file.field, file.name, file.mime, file.size], ['file', 'a.wav', 'audio/wav', 4]);
});

test('exampleFor fills a schema the way a model would', () => {
  const schema = {
    type: 'object',
    properties: {
      kind: { enum: ['a', 'b'] },
      when: { type: 'string', format: 'date' },
      n: { type: ['integer', 'null'], minimum: 2 },
      tags: { type: 'array', items: { type: 'string' }, minItems: 2 },
      ref: { $ref: '#/$defs/thing' },
      either: { anyOf: [{ type: 'boolean' }, { type: 'string' }] },
    },
    $defs: { thing: { type: 'object', properties: { ok: { const: true } } } },
  };
  assert.deepEqual(exampleFor(schema), { kind: 'a', when: '2024-01-01', n: 2, tags: ['example', 'example'], ref: { ok: true }, either: false });
});
