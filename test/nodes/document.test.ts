/** The multimodal document node: each image captioned by Claude, captions merged into the text as figures. */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { documentNode } from '../../nodes/document/index.ts';
import { contentMarker } from '../support/fake-provider-server.ts';
import { runNode, startNodeEnv, type NodeEnv } from '../support/node-harness.ts';
import { solid } from '../media/helpers.ts';

let env: NodeEnv;
before(async () => {
  env = await startNodeEnv();
});
beforeEach(() => env.fake.reset());
after(() => env.close());

const CAPTION_PROMPT = 'Describe this image in detail. Include all visible text, numbers, and clinical content.';

async function markedPng(color: string, marker: string) {
  return Buffer.concat([await solid(40, 30, color).png().toBuffer(), contentMarker(marker)]);
}

test('each image is captioned by an Anthropic messages call with an image block; figures are appended in order', async () => {
  const pngs = [await markedPng('#ff0000', 'a chest x-ray'), await markedPng('#00ff00', 'a lab results table')];
  const images = [await env.put(pngs[0]!, 'xray.png'), await env.put(pngs[1]!, 'labs.png')];
  env.fake.script('messages', { text: '  Frontal chest radiograph.\n' }, { text: 'Table: Hb 13.2 g/dL, WBC 7.1.' });
  const ctx = env.context();
  const out = await runNode(documentNode, { text: 'Discharge summary for bed 4.', images }, {}, ctx);

  const requests = env.fake.requestsTo('messages');
  assert.equal(env.fake.requests.length, 2);
  for (const [i, r] of requests.entries()) {
    assert.equal(r.json.model, 'claude-sonnet-4-6');
    assert.equal(r.json.max_tokens, 1024);
    assert.equal(r.json.system, undefined);
    assert.equal(r.json.messages.length, 1);
    const [block, text] = r.json.messages[0].content;
    assert.deepEqual({ type: block.type, source: block.source.type, media: block.source.media_type }, { type: 'image', source: 'base64', media: 'image/png' });
    assert.ok(Buffer.from(block.source.data, 'base64').equals(pngs[i]!), `request ${i} carries image ${i}`);
    assert.deepEqual(text, { type: 'text', text: CAPTION_PROMPT });
  }

  const combined = 'Discharge summary for bed 4.\n\n[Figure 1 description]: Frontal chest radiograph.\n\n[Figure 2 description]: Table: Hb 13.2 g/dL, WBC 7.1.';
  assert.equal(out.combined, combined);
  assert.deepEqual(out.document, {
    id: images[0]!.sha256.slice(0, 16),
    text: 'Discharge summary for bed 4.',
    images,
    captions: ['Frontal chest radiograph.', 'Table: Hb 13.2 g/dL, WBC 7.1.'],
    combined,
  });
  assert.deepEqual(Object.keys(out.document as object), ['id', 'text', 'images', 'captions', 'combined']);

  assert.equal(ctx.usage.length, 2);
  assert.ok(ctx.usage.every((u) => u.provider === 'anthropic' && u.images === 1 && u.costUsd! > 0));
  assert.deepEqual(ctx.progressReports, [
    { fraction: 0.5, message: 'captioned 1 of 2' },
    { fraction: 1, message: 'captioned 2 of 2' },
  ]);
});

test('without text the combined text starts at the first figure; the default captions name each image; id and prompt are params', async () => {
  const images = [await env.put(await markedPng('#0000ff', 'a wound photo'))];
  const out = await runNode(documentNode, { images }, { id: 'case-17', captionPrompt: 'What is shown?' }, env.context());
  const doc = out.document as { id: string; text: string; captions: string[]; combined: string };
  assert.equal(doc.id, 'case-17');
  assert.equal(doc.text, '');
  assert.match(doc.captions[0]!, /^echo: \[image\/png \d+ bytes: a wound photo\] What is shown\?$/);
  assert.equal(doc.combined, `[Figure 1 description]: ${doc.captions[0]}`);
  assert.equal(out.combined, doc.combined);
  assert.equal(env.fake.requestsTo('messages')[0]!.json.messages[0].content[1].text, 'What is shown?');
});

test('on OpenAI the same document is captioned through chat completions', async () => {
  const images = [await env.put(await markedPng('#ffff00', 'a scanned form'))];
  env.fake.script('chat', { text: 'A scanned form.' });
  const out = await runNode(documentNode, { text: 'Intro', images }, { provider: 'openai', model: 'gpt-4o' }, env.context());
  assert.equal(out.combined, 'Intro\n\n[Figure 1 description]: A scanned form.');
  const part = env.fake.requestsTo('chat')[0]!.json.messages[0].content[0];
  assert.equal(part.type, 'image_url');
  assert.match(part.image_url.url, /^data:image\/png;base64,/);
});
