/** The caption node through the real OpenAI and Anthropic providers against the fake server. */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { captionNode } from '../../nodes/caption/index.ts';
import { contentMarker } from '../support/fake-provider-server.ts';
import { nodeError, runNode, startNodeEnv, TEST_KEYS, type NodeEnv } from '../support/node-harness.ts';
import { solid } from '../media/helpers.ts';

let env: NodeEnv;
before(async () => {
  env = await startNodeEnv();
});
beforeEach(() => env.fake.reset());
after(() => env.close());

/** The media type and bytes of a data URL. */
function decode(url: string): { mime: string; data: Buffer } {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  assert.ok(m, `not a base64 data URL: ${url.slice(0, 60)}`);
  return { mime: m[1]!, data: Buffer.from(m[2]!, 'base64') };
}

function imagePart(body: any) {
  const user = body.messages.find((m: any) => m.role === 'user');
  const parts = user.content.filter((p: any) => p.type === 'image_url');
  assert.equal(parts.length, 1, 'exactly one image part');
  return parts[0];
}

test('a PNG goes out unchanged as an image/png data URL with the detail; the default prompt is the text; usage is priced', async () => {
  const png = Buffer.concat([await solid(64, 48, '#ff0000').png().toBuffer(), contentMarker('a red square')]);
  const image = await env.put(png, 'red.png');
  assert.equal(image.mime, 'image/png');
  const ctx = env.context();
  const out = await runNode(captionNode, { image }, { detail: 'low' }, ctx);

  const [req] = env.fake.requestsTo('chat');
  assert.equal(env.fake.requests.length, 1);
  assert.equal(req!.json.model, 'gpt-4o');
  assert.equal(req!.json.messages.some((m: any) => m.role === 'system'), false, 'no system prompt without a preset');
  const part = imagePart(req!.json);
  assert.equal(part.image_url.detail, 'low');
  const sent = decode(part.image_url.url);
  assert.equal(sent.mime, 'image/png');
  assert.ok(sent.data.equals(png), 'an image within the limits is passed through byte for byte');
  const text = req!.json.messages[0].content.find((p: any) => p.type === 'text');
  assert.equal(text.text, 'Describe this image in detail.');
  assert.equal(req!.json.max_completion_tokens, 1024);
  assert.match(out.text as string, /^echo: \[image\/png \d+ bytes: a red square\] Describe this image in detail\.$/);

  assert.equal(ctx.usage.length, 1);
  const [usage] = ctx.usage;
  assert.equal(usage!.provider, 'openai');
  assert.equal(usage!.model, 'gpt-4o');
  assert.equal(usage!.images, 1);
  assert.ok(usage!.inputTokens! > 85 && usage!.outputTokens! > 0, JSON.stringify(usage));
  // gpt-4o list price: $2.50 per 1M input tokens, $10 per 1M output tokens.
  const expected = (usage!.inputTokens! * 2.5 + usage!.outputTokens! * 10) / 1e6;
  assert.ok(usage!.costUsd! > 0 && Math.abs(usage!.costUsd! - expected) < 1e-9, `cost ${usage!.costUsd} vs ${expected}`);
});

test('clinical-safety preset: its system prompt comes first, then the own system prompt; a wired question replaces the prompt', async () => {
  const image = await env.put(await solid(32, 32, '#808080').png().toBuffer());
  const out = await runNode(
    captionNode,
    { image, question: 'Is there a fracture in the left wrist?' },
    { preset: 'clinical-safety', system: 'Answer in one sentence.', detail: 'high', prompt: 'unused prompt' },
    env.context(),
  );
  const [req] = env.fake.requestsTo('chat');
  const system = req!.json.messages[0];
  assert.equal(system.role, 'system');
  assert.match(system.content, /^You are a medical image analysis assistant supporting licensed clinicians\./);
  assert.match(system.content, /do not make diagnostic conclusions/);
  assert.match(system.content, /Always recommend formal radiologist or specialist review for clinical decisions/);
  assert.ok(system.content.endsWith('\n\nAnswer in one sentence.'), system.content);
  assert.equal(imagePart(req!.json).image_url.detail, 'high');
  const texts = req!.json.messages[1].content.filter((p: any) => p.type === 'text').map((p: any) => p.text);
  assert.deepEqual(texts, ['Is there a fracture in the left wrist?']);
  assert.match(out.text as string, /Is there a fracture in the left wrist\?$/);
});

test('GIF and WebP inputs are accepted as they are; TIFF is converted to PNG; a large photo is scaled to the detail limits', async () => {
  const gif = await solid(40, 30, '#00ff00').gif().toBuffer();
  const webp = await solid(40, 30, '#0000ff').webp().toBuffer();
  const tiff = await solid(40, 30, '#ffff00').tiff().toBuffer();
  const big = await solid(3000, 1000, '#336699').jpeg().toBuffer();
  const cases: [Buffer, string, string, { width: number; height: number }, boolean][] = [
    [gif, 'image/gif', 'image/gif', { width: 40, height: 30 }, true],
    [webp, 'image/webp', 'image/webp', { width: 40, height: 30 }, true],
    [tiff, 'image/tiff', 'image/png', { width: 40, height: 30 }, false],
    // detail high: fit in 2048 x 2048, then the short side at most 768: 3000x1000 -> 2048x683 (JPEG stays JPEG).
    [big, 'image/jpeg', 'image/jpeg', { width: 2048, height: 683 }, false],
  ];
  for (const [bytes, stored, sentMime, size, unchanged] of cases) {
    env.fake.reset();
    const image = await env.put(bytes);
    assert.equal(image.mime, stored);
    await runNode(captionNode, { image }, { detail: 'high' }, env.context());
    const sent = decode(imagePart(env.fake.requestsTo('chat')[0]!.json).image_url.url);
    assert.equal(sent.mime, sentMime, `${stored} is sent as ${sentMime}`);
    const meta = await sharp(sent.data).metadata();
    assert.equal(`image/${meta.format === 'heif' ? 'avif' : meta.format}`, sentMime, 'the data URL type matches its bytes');
    assert.deepEqual({ width: meta.width, height: meta.height }, size);
    assert.equal(sent.data.equals(bytes), unchanged);
  }
});

test('detail low limits the image to 512 px', async () => {
  const image = await env.put(await solid(1200, 600, '#123456').png().toBuffer());
  await runNode(captionNode, { image }, { detail: 'low' }, env.context());
  const sent = decode(imagePart(env.fake.requestsTo('chat')[0]!.json).image_url.url);
  const meta = await sharp(sent.data).metadata();
  assert.deepEqual([sent.mime, meta.width, meta.height], ['image/png', 512, 256]);
});

test('Anthropic: a base64 image block with its media type, the system prompt, max_tokens; usage priced as Claude', async () => {
  const png = Buffer.concat([await solid(50, 50, '#ffffff').png().toBuffer(), contentMarker('a chest x-ray')]);
  const image = await env.put(png);
  env.fake.script('messages', { text: 'Lungs appear clear; correlate clinically.' });
  const ctx = env.context();
  const out = await runNode(
    captionNode,
    { image },
    { provider: 'anthropic', model: 'claude-sonnet-4-5', preset: 'clinical-safety', maxTokens: 300 },
    ctx,
  );
  assert.equal(out.text, 'Lungs appear clear; correlate clinically.');
  assert.equal(env.fake.requests.length, 1);
  const [req] = env.fake.requestsTo('messages');
  assert.equal(req!.json.model, 'claude-sonnet-4-5');
  assert.equal(req!.json.max_tokens, 300);
  assert.match(req!.json.system, /^You are a medical image analysis assistant/);
  const [block, text] = req!.json.messages[0].content;
  assert.equal(block.type, 'image');
  assert.equal(block.source.type, 'base64');
  assert.equal(block.source.media_type, 'image/png');
  assert.ok(Buffer.from(block.source.data, 'base64').equals(png));
  assert.deepEqual(text, { type: 'text', text: 'Describe this image in detail.' });
  assert.equal(req!.rawKey, TEST_KEYS.anthropic);

  const [usage] = ctx.usage;
  assert.equal(ctx.usage.length, 1);
  assert.equal(usage!.provider, 'anthropic');
  assert.equal(usage!.images, 1);
  const expected = (usage!.inputTokens! * 3 + usage!.outputTokens! * 15) / 1e6;
  assert.ok(usage!.costUsd! > 0 && Math.abs(usage!.costUsd! - expected) < 1e-9, `cost ${usage!.costUsd} vs ${expected}`);
});

test('a model without a price records usage with no cost (never a guess)', async () => {
  const image = await env.put(await solid(8, 8, '#000000').png().toBuffer());
  const ctx = env.context();
  await runNode(captionNode, { image }, { model: 'some-new-vision-model' }, ctx);
  assert.equal(ctx.usage.length, 1);
  assert.equal(ctx.usage[0]!.model, 'some-new-vision-model');
  assert.ok(ctx.usage[0]!.inputTokens! > 0);
  assert.equal(ctx.usage[0]!.costUsd, undefined);
});

test('an input that is not an image, or a corrupt one, fails without any request', async () => {
  const text = await env.put('just some text, not an image');
  const err = await nodeError(runNode(captionNode, { image: text }, {}, env.context()));
  assert.equal(err.code, 'MEDIA_UNSUPPORTED');
  assert.equal(err.options.retryable ?? false, false);

  const png = await solid(64, 64, '#ff00ff').png().toBuffer();
  const truncated = await env.put(png.subarray(0, 60));
  const corrupt = await nodeError(runNode(captionNode, { image: truncated }, {}, env.context()));
  assert.equal(corrupt.code, 'MEDIA_CORRUPT');
  assert.equal(env.fake.requests.length, 0);
});

test('an unconfigured provider is PROVIDER_NOT_CONFIGURED', async () => {
  const image = await env.put(await solid(8, 8, '#000000').png().toBuffer());
  const err = await nodeError(runNode(captionNode, { image }, { provider: 'groq' }, env.context()));
  assert.equal(err.code, 'PROVIDER_NOT_CONFIGURED');
  assert.match(err.message, /"groq"/);
});
