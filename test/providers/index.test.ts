/** createProviders: which providers the environment and the providers file give a worker. */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { createProviders, ProvidersConfigError } from '../../engine/providers/index.ts';
import type { Provider } from '../../engine/providers/types.ts';
import { OpenAIProvider } from '../../engine/providers/openai.ts';
import { AnthropicProvider } from '../../engine/providers/anthropic.ts';
import { NodeError } from '../../engine/node-sdk/define-node.ts';
import { startFakeProviders, type FakeProviders } from '../support/fake-provider-server.ts';

let fake: FakeProviders;
let dir: string;
before(async () => {
  fake = await startFakeProviders();
  dir = mkdtempSync(join(tmpdir(), 'tessera-providers-'));
});
beforeEach(() => fake.reset());
after(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

const hello = [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'hello' }] }];
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}
function fails(fn: () => unknown, code: string, pattern: RegExp) {
  assert.throws(fn, (err: NodeError) => {
    assert.ok(err instanceof NodeError);
    assert.equal(err.code, code);
    assert.equal(err.options.retryable, false);
    assert.match(err.message, pattern);
    return true;
  });
}

test('no variables: no providers, and asking for one says which variable to set', () => {
  const providers = createProviders({});
  assert.deepEqual(providers.names(), []);
  fails(() => providers.require('openai', 'chat'), 'PROVIDER_NOT_CONFIGURED', /"openai".*OPENAI_API_KEY/);
  fails(() => providers.require('anthropic', 'structured'), 'PROVIDER_NOT_CONFIGURED', /ANTHROPIC_API_KEY/);
  fails(() => providers.require('compatible', 'chat'), 'PROVIDER_NOT_CONFIGURED', /TESSERA_COMPATIBLE_BASE_URL/);
  fails(() => providers.require('mystery', 'chat'), 'PROVIDER_NOT_CONFIGURED', /"mystery".*TESSERA_PROVIDERS_FILE/);
});

test('OPENAI_* and ANTHROPIC_* variables configure the SDKs explicitly', async () => {
  const providers = createProviders({ OPENAI_API_KEY: 'sk-env-openai', OPENAI_BASE_URL: fake.openaiBaseURL, ANTHROPIC_API_KEY: 'sk-ant-env', ANTHROPIC_BASE_URL: fake.anthropicBaseURL });
  assert.deepEqual(providers.names(), ['anthropic', 'openai']);
  const chat = await providers.require('openai', 'chat').chat({ model: 'gpt-4o', messages: hello });
  await providers.require('anthropic', 'chat').chat({ model: 'claude-haiku-4-5', messages: hello });
  const [o, a] = fake.requests;
  assert.equal(o!.route, 'chat');
  assert.equal(o!.rawKey, 'sk-env-openai');
  assert.equal(a!.route, 'messages');
  assert.equal(a!.rawKey, 'sk-ant-env');
  assert.ok(chat.usage.costUsd! > 0, 'a keyed OpenAI provider is priced as OpenAI');
  fails(() => providers.require('anthropic', 'transcribe'), 'CAPABILITY_UNSUPPORTED', /"anthropic" cannot transcribe \(it offers: chat, structured\)/);
  fails(() => providers.require('openai', 'ocr'), 'CAPABILITY_UNSUPPORTED', /offers: chat, structured, transcribe, embed/);
});

test('a provider logged or serialised never shows its key', () => {
  const providers = createProviders({ OPENAI_API_KEY: 'sk-do-not-print-me', ANTHROPIC_API_KEY: 'sk-ant-do-not-print-me' });
  for (const name of providers.names()) {
    const chat = providers.require(name, 'chat');
    for (const dump of [inspect(chat, { depth: 10, showHidden: true }), JSON.stringify(chat), inspect(providers, { depth: 10 })]) {
      assert.ok(!dump.includes('do-not-print-me'), dump);
    }
  }
  for (const provider of [new OpenAIProvider({ name: 'o', apiKey: 'sk-do-not-print-me' }), new AnthropicProvider({ name: 'a', apiKey: 'sk-do-not-print-me' })]) {
    assert.ok(!inspect(provider, { depth: 10, showHidden: true }).includes('do-not-print-me'));
    assert.ok(!JSON.stringify(provider).includes('do-not-print-me'));
  }
});

test('the env argument is the whole truth: process.env is not read behind its back', async () => {
  const saved = process.env.OPENAI_API_KEY;
  process.env.OPENAI_API_KEY = 'sk-from-process-env';
  try {
    const providers = createProviders({ OPENAI_BASE_URL: fake.openaiBaseURL });
    const result = await providers.require('openai', 'chat').chat({ model: 'gpt-4o', messages: hello });
    assert.deepEqual(fake.requests[0]!.auth, { present: false });
    assert.equal(result.usage.costUsd, undefined, 'a keyless base URL is a local server: not priced');
  } finally {
    if (saved === undefined) delete process.env.OPENAI_API_KEY;
    else process.env.OPENAI_API_KEY = saved;
  }
});

test('TESSERA_COMPATIBLE_* gives the "compatible" provider in the compatible dialect', async () => {
  const providers = createProviders({ TESSERA_COMPATIBLE_BASE_URL: fake.openaiBaseURL, TESSERA_COMPATIBLE_API_KEY: 'local-key', TESSERA_COMPATIBLE_IMAGE_EMBEDDING_MODELS: 'clip, siglip' });
  assert.deepEqual(providers.names(), ['compatible']);
  await providers.require('compatible', 'chat').chat({ model: 'llama3.2', maxTokens: 10, messages: hello });
  assert.equal(fake.requests[0]!.json.max_tokens, 10);
  assert.equal(fake.requests[0]!.rawKey, 'local-key');
  assert.equal(providers.require('compatible', 'embed').supportsImages('siglip'), true);
});

test('the providers file adds named providers; keys come from the variables it names', async () => {
  const path = file('providers.json', {
    providers: {
      groq: { type: 'openai-compatible', baseURL: fake.openaiBaseURL, apiKeyEnv: 'GROQ_API_KEY', imageEmbeddingModels: ['clip'], maxEmbedBatch: 1 },
      'claude-gw': { type: 'anthropic', baseURL: fake.anthropicBaseURL },
      other: { type: 'openai', baseURL: fake.openaiBaseURL, apiKeyEnv: 'OTHER_KEY' },
    },
  });
  const providers = createProviders({ TESSERA_PROVIDERS_FILE: path, GROQ_API_KEY: 'gsk-groq' });
  assert.deepEqual(providers.names(), ['claude-gw', 'groq']);
  const embed = providers.require('groq', 'embed');
  assert.equal(embed.maxBatch, 1);
  assert.equal(embed.supportsImages('clip'), true);
  await embed.embed({ model: 'nomic', inputs: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] });
  assert.equal(fake.requestsTo('embeddings').length, 2);
  assert.equal(fake.requests[0]!.rawKey, 'gsk-groq');
  await providers.require('claude-gw', 'structured').structured({ model: 'claude-haiku-4-5', schema: { type: 'object', properties: {} }, schemaName: 's', messages: hello });
  assert.equal(fake.requestsTo('messages').length, 1);
  fails(() => providers.require('other', 'chat'), 'PROVIDER_NOT_CONFIGURED', /set OTHER_KEY/);
});

test('a file entry replaces the provider of the same name from the environment', async () => {
  const path = file('override.json', { providers: { openai: { type: 'openai', baseURL: fake.openaiBaseURL, apiKeyEnv: 'MY_OPENAI_KEY', imageEmbeddingModels: ['clip'] } } });
  const providers = createProviders({ OPENAI_API_KEY: 'sk-env', MY_OPENAI_KEY: 'sk-file' }, path);
  await providers.require('openai', 'chat').chat({ model: 'gpt-4o', messages: hello });
  assert.equal(fake.requests[0]!.rawKey, 'sk-file');
  assert.equal(providers.require('openai', 'embed').supportsImages('clip'), true);
});

test('a bad providers file is a clear startup error', () => {
  const cases: [string, unknown, RegExp][] = [
    ['not-json.json', '{ "providers": ', /not valid JSON/],
    ['bad-type.json', { providers: { x: { type: 'gemini' } } }, /providers\.x\.type/],
    ['key-in-file.json', { providers: { x: { type: 'openai', apiKeyEnv: 'sk-live-123' } } }, /providers\.x\.apiKeyEnv: must be an environment variable name/],
    ['typo.json', { providers: { x: { type: 'openai', baseUrl: 'http://x' } } }, /baseUrl/],
    ['no-base.json', { providers: { x: { type: 'openai-compatible' } } }, /providers\.x\.baseURL is required/],
    ['shape.json', { x: 1 }, /providers/],
  ];
  for (const [name, content, pattern] of cases) {
    const path = file(name, content);
    assert.throws(() => createProviders({}, path), (err: ProvidersConfigError) => {
      assert.ok(err instanceof ProvidersConfigError, name);
      assert.equal(err.code, 'PROVIDERS_CONFIG_INVALID');
      assert.ok(err.message.includes(path), err.message);
      assert.match(err.message, pattern);
      assert.ok(!err.message.includes('sk-live-123') || name === 'key-in-file.json');
      return true;
    });
  }
  assert.throws(() => createProviders({}, join(dir, 'missing.json')), /Cannot read the providers file .*ENOENT/);
});

test('extra providers (the local OCR) join the set; names must be unique', async () => {
  const local: Provider = {
    name: 'local',
    ocr: { recognize: async ({ image }) => ({ text: `${image.data.length} bytes`, confidence: 91, usage: { provider: 'local', model: 'tesseract-eng' } }) },
  };
  const providers = createProviders({}, undefined, [local]);
  assert.deepEqual(providers.names(), ['local']);
  const result = await providers.require('local', 'ocr').recognize({ image: { data: Buffer.alloc(3), mime: 'image/png' }, language: 'eng' });
  assert.equal(result.text, '3 bytes');
  fails(() => providers.require('local', 'chat'), 'CAPABILITY_UNSUPPORTED', /offers: ocr/);
  assert.throws(() => createProviders({ OPENAI_API_KEY: 'sk-x' }, undefined, [{ name: 'openai' }]), ProvidersConfigError);
});
