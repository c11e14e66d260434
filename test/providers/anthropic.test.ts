/** The Anthropic provider through the real `@anthropic-ai/sdk` against the fake server. */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { AnthropicProvider } from '../../engine/providers/anthropic.ts';
import { NodeError } from '../../engine/node-sdk/define-node.ts';
import { contentMarker, startFakeProviders, type FakeProviders } from '../support/fake-provider-server.ts';
import { fakeKey } from '../support/fake-keys.ts';

const KEY = fakeKey('sk-ant-test-');
const MODEL = 'claude-haiku-4-5';
const JPEG = Buffer.concat([Buffer.from('ffd8ffe0', 'hex'), contentMarker('a handwritten note')]);
let fake: FakeProviders;
let claude: AnthropicProvider;

before(async () => {
  fake = await startFakeProviders();
  claude = new AnthropicProvider({ name: 'anthropic', apiKey: KEY, baseURL: fake.anthropicBaseURL, pricing: 'anthropic' });
});
beforeEach(() => fake.reset());
after(() => fake.close());

test('chat sends base64 image blocks with their media type, the system prompt, and max_tokens 1024 by default', async () => {
  const result = await claude.chat.chat({
    model: MODEL,
    system: 'Transcribe verbatim.',
    temperature: 0.5,
    messages: [{ role: 'user', content: [{ type: 'image', image: { data: JPEG, mime: 'image/jpg' } }, { type: 'text', text: 'Read this.' }] }],
  });
  const [req] = fake.requestsTo('messages');
  assert.equal(fake.requests.length, 1);
  assert.equal(req!.path, '/v1/messages');
  assert.equal(req!.json.model, MODEL);
  assert.equal(req!.json.system, 'Transcribe verbatim.');
  assert.equal(req!.json.max_tokens, 1024);
  assert.equal(req!.json.temperature, undefined, 'this Messages API version has no sampling parameters');
  assert.deepEqual(req!.json.messages, [{
    role: 'user',
    content: [
      { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: JPEG.toString('base64') } },
      { type: 'text', text: 'Read this.' },
    ],
  }]);
  assert.ok(req!.headers['anthropic-version']);
  assert.equal(req!.auth.present, true);
  assert.equal(req!.rawKey, KEY);

  assert.match(result.text, /\[image\/jpeg \d+ bytes: a handwritten note\] Read this\./);
  assert.equal(result.usage.images, 1);
  const expected = (result.usage.inputTokens! * 1 + result.usage.outputTokens! * 5) / 1e6;
  assert.ok(Math.abs(result.usage.costUsd! - expected) < 1e-9);
});

test('multi-turn conversations keep roles; maxTokens is passed through', async () => {
  fake.script('messages', { text: 'Paris.' });
  const result = await claude.chat.chat({
    model: MODEL,
    maxTokens: 64,
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'Capital of Italy?' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Rome.' }] },
      { role: 'user', content: [{ type: 'text', text: 'And France?' }] },
    ],
  });
  assert.equal(result.text, 'Paris.');
  const body = fake.requestsTo('messages')[0]!.json;
  assert.deepEqual(body.messages.map((m: { role: string }) => m.role), ['user', 'assistant', 'user']);
  assert.equal(body.max_tokens, 64);
  assert.equal(body.system, undefined);
});

test('structured output forces one tool whose input schema is the schema; the value is the tool input', async () => {
  const schema = { type: 'object', properties: { drug: { type: 'string' }, doseMg: { type: 'number' } }, required: ['drug', 'doseMg'] };
  fake.script('messages', { value: { drug: 'ibuprofen', doseMg: 400 } });
  const result = await claude.structured.structured({ model: MODEL, schema, schemaName: 'clinical.note', messages: [{ role: 'user', content: [{ type: 'text', text: 'Ibuprofen 400 mg' }] }] });
  assert.deepEqual(result.value, { drug: 'ibuprofen', doseMg: 400 });
  const body = fake.requestsTo('messages')[0]!.json;
  assert.equal(body.tools.length, 1);
  assert.equal(body.tools[0].name, 'clinical_note');
  assert.deepEqual(body.tools[0].input_schema, schema);
  assert.deepEqual(body.tool_choice, { type: 'tool', name: 'clinical_note' });
  assert.ok(result.usage.costUsd! > 0);
});

test('structured output by default returns the fake example for the schema, unwrapping non-object schemas', async () => {
  const result = await claude.structured.structured({ model: MODEL, schema: { type: 'array', items: { type: 'integer', minimum: 3 } }, schemaName: 'numbers', messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }] });
  assert.deepEqual(result.value, [3]);
  assert.equal(fake.requestsTo('messages')[0]!.json.tools[0].input_schema.type, 'object');
});

test('refusals, truncated tool input and a missing tool call are classified', async () => {
  const ask = () => claude.structured.structured({ model: MODEL, schema: { type: 'object', properties: {} }, schemaName: 's', messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }] });
  const edit = (change: (body: any) => void) => fake.script('messages', (_req, defaults) => {
    const body = defaults() as any;
    change(body);
    return { json: body };
  });
  edit((b) => { b.stop_reason = 'refusal'; b.content = []; });
  await assert.rejects(ask(), (err: NodeError) => err.code === 'PROVIDER_REFUSED' && !err.options.retryable && /anthropic model "claude-haiku-4-5"/.test(err.message));
  edit((b) => { b.stop_reason = 'max_tokens'; });
  await assert.rejects(ask(), (err: NodeError) => err.code === 'PROVIDER_OUTPUT_TRUNCATED' && !err.options.retryable);
  edit((b) => { b.content = [{ type: 'text', text: 'I would rather chat.', citations: null }]; b.stop_reason = 'end_turn'; });
  await assert.rejects(ask(), (err: NodeError) => err.code === 'PROVIDER_BAD_RESPONSE' && err.options.retryable === true);
});

test('images of a type Claude does not take are refused before sending', async () => {
  await assert.rejects(
    claude.chat.chat({ model: MODEL, messages: [{ role: 'user', content: [{ type: 'image', image: { data: Buffer.from('BM'), mime: 'image/bmp' } }] }] }),
    (err: NodeError) => err.code === 'PROVIDER_MEDIA_UNSUPPORTED',
  );
  assert.equal(fake.requests.length, 0);
});

test('Anthropic offers no transcription or embeddings', () => {
  assert.equal((claude as { transcribe?: unknown }).transcribe, undefined);
  assert.equal((claude as { embed?: unknown }).embed, undefined);
});

test('a keyless gateway gets no credential header', async () => {
  const gateway = new AnthropicProvider({ name: 'gateway', baseURL: fake.anthropicBaseURL });
  const result = await gateway.chat.chat({ model: MODEL, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
  assert.deepEqual(fake.requests[0]!.auth, { present: false });
  assert.equal(result.usage.costUsd, undefined, 'an unpriced provider has no cost');
});
