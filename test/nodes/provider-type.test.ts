/**
 * Nodes decide image limits and default models by what a provider is (its type and capabilities), not
 * by the name it is configured under: providers-file entries named "claude" (type anthropic) and
 * "gateway" (type openai) behave as `anthropic` and `openai` do; a compatible server has no defaults.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import sharp from 'sharp';
import { createProviders } from '../../engine/providers/index.ts';
import type { Providers } from '../../engine/providers/types.ts';
import { captionNode } from '../../nodes/caption/index.ts';
import { extractJsonNode } from '../../nodes/extract-json/index.ts';
import { solid } from '../media/helpers.ts';
import { nodeError, runNode, startNodeEnv, TEST_KEYS, type NodeEnv } from '../support/node-harness.ts';

let env: NodeEnv;
let named: Providers;
before(async () => {
  env = await startNodeEnv();
  const file = path.join(env.dir, 'providers.json');
  writeFileSync(file, JSON.stringify({
    providers: {
      claude: { type: 'anthropic', baseURL: env.fake.anthropicBaseURL, apiKeyEnv: 'CLAUDE_KEY' },
      gateway: { type: 'openai', baseURL: env.fake.openaiBaseURL, apiKeyEnv: 'GATEWAY_KEY' },
      ollama: { type: 'openai-compatible', baseURL: env.fake.openaiBaseURL },
    },
  }));
  named = createProviders({ CLAUDE_KEY: TEST_KEYS.anthropic, GATEWAY_KEY: TEST_KEYS.openai }, file);
});
beforeEach(() => env.fake.reset());
after(() => env?.close());

async function sentImageSize(block: { source?: { data: string }; image_url?: { url: string } }) {
  const data = block.source ? Buffer.from(block.source.data, 'base64') : Buffer.from(block.image_url!.url.split(',')[1]!, 'base64');
  const meta = await sharp(data).metadata();
  return { width: meta.width, height: meta.height };
}

test('an anthropic-type provider named "claude" gets Anthropic\'s image limits and default model', async () => {
  const image = await env.put(await solid(3000, 1000, '#336699').png().toBuffer());
  env.fake.script('messages', { text: 'a blue field' });
  await runNode(captionNode, { image }, { provider: 'claude', detail: 'high' }, env.context({ providers: named }));
  const [req] = env.fake.requestsTo('messages');
  assert.equal(req!.json.model, 'claude-sonnet-4-6', 'Anthropic\'s default, not an OpenAI model name');
  // Anthropic: longest side 1568 (OpenAI's high detail would give 2048 x 683).
  assert.deepEqual(await sentImageSize(req!.json.messages[0].content[0]), { width: 1568, height: 523 });
});

test('an openai-type provider named "gateway" gets OpenAI\'s detail limits and default models', async () => {
  const image = await env.put(await solid(3000, 1000, '#336699').png().toBuffer());
  await runNode(captionNode, { image }, { provider: 'gateway', detail: 'high' }, env.context({ providers: named }));
  const [req] = env.fake.requestsTo('chat');
  assert.equal(req!.json.model, 'gpt-4o');
  assert.deepEqual(await sentImageSize(req!.json.messages[0].content[0]), { width: 2048, height: 683 });
});

test('structured output on the anthropic-type provider uses its default model too', async () => {
  env.fake.script('messages', { value: { n: 1 } });
  const out = await runNode(
    extractJsonNode,
    { text: 'one' },
    { provider: 'claude', schema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'], additionalProperties: false } },
    env.context({ providers: named }),
  );
  assert.deepEqual(out.json, { n: 1 });
  assert.equal(env.fake.requestsTo('messages')[0]!.json.model, 'claude-sonnet-4-6');
});

test('a compatible server has no default model: the node asks for one, and sends nothing', async () => {
  const image = await env.put(await solid(20, 20, '#000000').png().toBuffer());
  const err = await nodeError(runNode(captionNode, { image }, { provider: 'ollama' }, env.context({ providers: named })));
  assert.equal(err.code, 'PARAMS_INVALID');
  assert.match(err.message, /"ollama" has no default vision model/);
  assert.equal(env.fake.requests.length, 0);
});
