/**
 * Failures through the real SDKs: each injected fault becomes a NodeError that says whether Temporal
 * should retry, the SDK never retries by itself (one HTTP request per call), and the key never leaks.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AnthropicProvider } from '../../engine/providers/anthropic.ts';
import { OpenAIProvider } from '../../engine/providers/openai.ts';
import { parseRetryAfter, redact } from '../../engine/providers/errors.ts';
import { NodeError } from '../../engine/node-sdk/define-node.ts';
import { startFakeProviders, type FaultOptions, type FakeProviders, type FaultKind, type Route } from '../support/fake-provider-server.ts';
import { fakeKey } from '../support/fake-keys.ts';

const OPENAI_KEY = fakeKey('sk-test-openai-');
const ANTHROPIC_KEY = fakeKey('sk-ant-test-');
let fake: FakeProviders;
let openai: OpenAIProvider;
let claude: AnthropicProvider;

before(async () => {
  fake = await startFakeProviders();
  openai = new OpenAIProvider({ name: 'openai', apiKey: OPENAI_KEY, baseURL: fake.openaiBaseURL, timeoutMs: 500 });
  claude = new AnthropicProvider({ name: 'anthropic', apiKey: ANTHROPIC_KEY, baseURL: fake.anthropicBaseURL, timeoutMs: 500 });
});
beforeEach(() => fake.reset());
after(() => fake.close());

const messages = [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'hello' }] }];
const calls: Record<Route, () => Promise<unknown>> = {
  chat: () => openai.chat.chat({ model: 'gpt-4o', messages }),
  messages: () => claude.chat.chat({ model: 'claude-haiku-4-5', messages }),
  transcriptions: () => openai.transcribe.transcribe({ model: 'whisper-1', audio: { data: Buffer.alloc(2000), mime: 'audio/wav' } }),
  embeddings: () => openai.embed.embed({ model: 'text-embedding-3-small', inputs: [{ type: 'text', text: 'hello' }] }),
  models: () => Promise.resolve(),
};
const models: Partial<Record<Route, string>> = { chat: 'gpt-4o', messages: 'claude-haiku-4-5', transcriptions: 'whisper-1', embeddings: 'text-embedding-3-small' };

/** Runs one call against one fault and returns the NodeError, checking the invariants every failure keeps. */
async function failure(route: Route, kind: FaultKind, options?: FaultOptions): Promise<NodeError> {
  fake.fault(route, kind, options);
  const err = await calls[route]().then(() => assert.fail('the call should have failed'), (e: unknown) => e);
  assert.ok(err instanceof NodeError, `expected a NodeError, got ${err}`);
  assert.equal(fake.requests.length, 1, 'exactly one HTTP request: the SDK must not retry');
  const provider = route === 'messages' ? 'anthropic' : 'openai';
  assert.ok(err.message.startsWith(`${provider} model "${models[route]}"`), `the message names provider and model: ${err.message}`);
  for (const key of [OPENAI_KEY, ANTHROPIC_KEY]) {
    assert.ok(!err.message.includes(key) && !JSON.stringify(err.options).includes(key) && !String(err.stack).includes(key), 'the key never leaks');
  }
  fake.reset();
  return err;
}

const retryable = (err: NodeError, code: string) => {
  assert.equal(err.code, code);
  assert.equal(err.options.retryable, true);
};
const final = (err: NodeError, code: string) => {
  assert.equal(err.code, code);
  assert.equal(err.options.retryable, false);
  assert.equal(err.options.retryAfterMs, undefined);
};

for (const route of ['chat', 'messages', 'transcriptions', 'embeddings'] as const) {
  describe(`${route} through the real SDK`, () => {
    test('429 with Retry-After in seconds is retryable after that long', async () => {
      const err = await failure(route, 'rate-limit', { retryAfter: 3 });
      retryable(err, 'PROVIDER_RATE_LIMITED');
      assert.equal(err.options.retryAfterMs, 3000);
    });

    test('429 with Retry-After as an HTTP date, and with retry-after-ms', async () => {
      const date = await failure(route, 'rate-limit', { retryAfter: new Date(Date.now() + 10_000).toUTCString() });
      retryable(date, 'PROVIDER_RATE_LIMITED');
      assert.ok(date.options.retryAfterMs! > 7000 && date.options.retryAfterMs! <= 10_000, String(date.options.retryAfterMs));
      const ms = await failure(route, 'rate-limit', { retryAfterMs: 1500 });
      assert.equal(ms.options.retryAfterMs, 1500);
    });

    test('429 for an exhausted quota is not retried', async () => {
      final(await failure(route, 'rate-limit', { code: 'insufficient_quota' }), 'PROVIDER_QUOTA_EXCEEDED');
    });

    test('500, 503 and 529 are retryable', async () => {
      retryable(await failure(route, 'server-error'), 'PROVIDER_UNAVAILABLE');
      retryable(await failure(route, 'server-error', { status: 503 }), 'PROVIDER_UNAVAILABLE');
      retryable(await failure(route, 'server-error', { status: 529 }), 'PROVIDER_UNAVAILABLE');
    });

    test('a malformed body is retryable', async () => {
      retryable(await failure(route, 'malformed'), 'PROVIDER_BAD_RESPONSE');
    });

    test('a dropped connection, before or during the answer, is retryable', async () => {
      retryable(await failure(route, 'drop'), 'PROVIDER_UNAVAILABLE');
      retryable(await failure(route, 'drop-mid-body'), 'PROVIDER_UNAVAILABLE');
    });

    test('a slow answer past the timeout is retryable', async () => {
      retryable(await failure(route, 'slow', { delayMs: 1500 }), 'PROVIDER_TIMEOUT');
    });

    test('401 and 403 are final, and the echoed key is redacted', async () => {
      const err = await failure(route, 'status', { status: 401 });
      final(err, 'PROVIDER_AUTH_FAILED');
      assert.match(err.message, /401.*\[redacted\]/);
      final(await failure(route, 'status', { status: 403 }), 'PROVIDER_AUTH_FAILED');
    });

    test('400 is final; a content-policy 400 is a refusal', async () => {
      final(await failure(route, 'status', { status: 400 }), 'PROVIDER_BAD_REQUEST');
      final(await failure(route, 'status', { status: 400, code: 'content_policy_violation', message: 'Your request was rejected as a result of our safety system.' }), 'PROVIDER_REFUSED');
    });

    test('404 (unknown model) is final and names the base URL', async () => {
      const err = await failure(route, 'status', { status: 404 });
      final(err, 'PROVIDER_MODEL_NOT_FOUND');
      assert.ok(err.message.includes(fake.url), err.message);
    });
  });
}

test('a 402 (credit balance too low) is final', async () => {
  fake.fault('messages', 'status', { status: 402, message: 'Your credit balance is too low.' });
  const err = await calls.messages().catch((e: NodeError) => e) as NodeError;
  final(err, 'PROVIDER_QUOTA_EXCEEDED');
});

test('an aborted signal stops the call and is classified as aborted', async () => {
  fake.fault('chat', 'slow', { delayMs: 400 });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  const err = await openai.chat.chat({ model: 'gpt-4o', messages, signal: controller.signal }).catch((e: NodeError) => e) as NodeError;
  assert.equal(err.code, 'PROVIDER_ABORTED');
  assert.equal(fake.requests.length, 1);
});

test('a refused connection is retryable', async () => {
  const closed = await startFakeProviders();
  await closed.close();
  const nowhere = new OpenAIProvider({ name: 'openai', apiKey: OPENAI_KEY, baseURL: closed.openaiBaseURL });
  const err = await nowhere.chat.chat({ model: 'gpt-4o', messages }).catch((e: NodeError) => e) as NodeError;
  retryable(err, 'PROVIDER_UNAVAILABLE');
  assert.match(err.message, /ECONNREFUSED/);
  assert.match(err.message, new RegExp(`at ${closed.openaiBaseURL.replace(/[.]/g, '\\.')}: nothing accepts connections there`));
});

test('a host name that does not resolve is named in the message (retryable: DNS may come back)', async () => {
  // .invalid never resolves (RFC 6761); offline machines answer EAI_AGAIN instead of ENOTFOUND.
  const typo = new OpenAIProvider({ name: 'openai', apiKey: OPENAI_KEY, baseURL: 'http://api.openai-typo.invalid/v1' });
  const err = await typo.chat.chat({ model: 'gpt-4o', messages }).catch((e: NodeError) => e) as NodeError;
  retryable(err, 'PROVIDER_UNAVAILABLE');
  assert.match(err.message, /cannot reach the provider at http:\/\/api\.openai-typo\.invalid\/v1: the host name "api\.openai-typo\.invalid" does not resolve \((ENOTFOUND|EAI_AGAIN);/);
});

test('parseRetryAfter: seconds, HTTP dates, retry-after-ms first, clamped to [0, 1 h]', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter(new Headers({ 'retry-after': '2' }), now), 2000);
  assert.equal(parseRetryAfter(new Headers({ 'retry-after': '0.5' }), now), 500);
  assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }), now), 30_000);
  assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'Wed, 31 Dec 2025 23:00:00 GMT' }), now), 0);
  assert.equal(parseRetryAfter(new Headers({ 'retry-after': '999999' }), now), 3_600_000);
  assert.equal(parseRetryAfter(new Headers({ 'retry-after': '2', 'retry-after-ms': '250' }), now), 250);
  assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now), undefined);
  assert.equal(parseRetryAfter(new Headers(), now), undefined);
});

test('redact removes given secrets and anything shaped like a key', () => {
  const shaped = fakeKey('sk-test-');
  const text = `key my-own-secret-value, ${shaped}, Bearer abc.def, x-api-key: zzz123, api_key="q1w2e3"`;
  const out = redact(text, ['my-own-secret-value']);
  for (const leaked of ['my-own-secret-value', shaped, 'abc.def', 'zzz123', 'q1w2e3']) assert.ok(!out.includes(leaked), out);
});
