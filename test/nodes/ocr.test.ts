/**
 * The ocr node: verbatim transcription through a vision model (real OpenAI provider on the fake server),
 * and offline tesseract (createLocalProvider) reading real rendered text from images and PDF pages.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { LOCAL_OCR_MODEL, terminateLocalOcr } from '../../engine/media/ocr-local.ts';
import { ocrNode } from '../../nodes/ocr/index.ts';
import { contentMarker } from '../support/fake-provider-server.ts';
import { nodeError, runNode, startNodeEnv, type NodeEnv } from '../support/node-harness.ts';
import { characterErrorRate, solid, textImage } from '../media/helpers.ts';
import { makePdf } from '../media/pdf-fixture.ts';
import { wavBytes } from '../support/fixtures.ts';

let env: NodeEnv;
before(async () => {
  env = await startNodeEnv();
});
beforeEach(() => env.fake.reset());
after(async () => {
  await terminateLocalOcr();
  await env.close();
});

const VERBATIM = /^Transcribe ALL text visible in this image exactly as written\.\nPreserve formatting where meaningful \(tables, lists\) as Markdown\.\nReturn ONLY the transcribed text, nothing else\.$/;

test('vision path: one chat request per image with the verbatim-transcription prompt, detail high, temperature 0', async () => {
  const pngs = [
    Buffer.concat([await solid(60, 40, '#ffffff').png().toBuffer(), contentMarker('page one')]),
    Buffer.concat([await solid(60, 40, '#eeeeee').png().toBuffer(), contentMarker('page two')]),
  ];
  const images = [await env.put(pngs[0]!), await env.put(pngs[1]!)];
  env.fake.script('chat', { text: '| Drug | Dose |\n|---|---|\n| ibuprofen | 400 mg |\n' }, { text: 'Signed: Dr Rossi' });
  const ctx = env.context();
  const out = await runNode(ocrNode, { images }, { provider: 'openai', model: 'gpt-4o' }, ctx);

  const requests = env.fake.requestsTo('chat');
  assert.equal(requests.length, 2);
  for (const [i, r] of requests.entries()) {
    assert.equal(r.json.model, 'gpt-4o');
    assert.equal(r.json.temperature, 0);
    const [image, prompt] = r.json.messages[0].content;
    assert.equal(image.type, 'image_url');
    assert.equal(image.image_url.detail, 'high');
    assert.equal(image.image_url.url, `data:image/png;base64,${pngs[i]!.toString('base64')}`);
    assert.equal(prompt.type, 'text');
    assert.match(prompt.text, VERBATIM);
  }
  assert.deepEqual(out.pages, ['| Drug | Dose |\n|---|---|\n| ibuprofen | 400 mg |', 'Signed: Dr Rossi']);
  assert.equal(out.text, '| Drug | Dose |\n|---|---|\n| ibuprofen | 400 mg |\n\nSigned: Dr Rossi');
  assert.equal(ctx.usage.length, 2);
  assert.ok(ctx.usage.every((u) => u.provider === 'openai' && u.costUsd! > 0));
  assert.deepEqual(ctx.progressReports.map((p) => p.fraction), [0.5, 1]);
});

test('local path: tesseract reads large rendered text; usage is free; nothing goes to the network', async () => {
  const lines = ['Take two tablets daily', 'Blood pressure 120 over 80'];
  const image = await env.put(await textImage(lines, 48), 'note.png');
  const ctx = env.context();
  const out = await runNode(ocrNode, { images: [image] }, {}, ctx);
  const cer = characterErrorRate(lines.join('\n'), out.text as string);
  assert.ok(cer < 0.05, `CER ${cer}; read: ${out.text}`);
  assert.deepEqual(out.pages, [out.text]);
  assert.deepEqual(ctx.usage, [{ provider: 'local', model: LOCAL_OCR_MODEL, images: 1, costUsd: 0 }]);
  assert.equal(env.fake.requests.length, 0);
});

test('local path: a two-page PDF document gives one text per page, in page order', async () => {
  const pdf = await env.put(makePdf([
    [612, 792, 'Referral for physiotherapy'],
    [612, 792, 'Second page lists allergies'],
  ]), 'referral.pdf');
  assert.equal(pdf.mime, 'application/pdf');
  const ctx = env.context();
  const out = await runNode(ocrNode, { document: pdf }, { dpi: 100 }, ctx);
  const pages = out.pages as string[];
  assert.equal(pages.length, 2);
  assert.ok(characterErrorRate('Referral for physiotherapy', pages[0]!) < 0.1, `page 1 read: ${pages[0]}`);
  assert.ok(characterErrorRate('Second page lists allergies', pages[1]!) < 0.1, `page 2 read: ${pages[1]}`);
  assert.equal(out.text, pages.join('\n\n'));
  assert.equal(ctx.usage.length, 2);
  assert.ok(ctx.heartbeats.count >= 2, 'the node heartbeats per page');
});

test('a vision-model PDF: each rendered page goes out as a PNG with the verbatim prompt', async () => {
  const pdf = await env.put(makePdf([[300, 200, 'One'], [300, 200, 'Two']]));
  env.fake.script('chat', { text: 'One' }, { text: 'Two' });
  const out = await runNode(ocrNode, { document: pdf }, { provider: 'openai', dpi: 72 }, env.context());
  assert.deepEqual(out.pages, ['One', 'Two']);
  const requests = env.fake.requestsTo('chat');
  assert.equal(requests.length, 2);
  for (const r of requests) {
    assert.match(r.json.messages[0].content[0].image_url.url, /^data:image\/png;base64,/);
    assert.match(r.json.messages[0].content[1].text, VERBATIM);
  }
});

test('an audio blob as the document is MEDIA_UNSUPPORTED, for both providers, before any call', async () => {
  const audio = await env.put(wavBytes(), 'voice.wav');
  assert.match(audio.mime, /^audio\//);
  for (const provider of ['local', 'openai']) {
    const ctx = env.context();
    const err = await nodeError(runNode(ocrNode, { document: audio }, { provider }, ctx));
    assert.equal(err.code, 'MEDIA_UNSUPPORTED');
    assert.equal(err.options.retryable ?? false, false);
    assert.match(err.message, /audio\/wav/);
    assert.equal(ctx.usage.length, 0);
  }
  assert.equal(env.fake.requests.length, 0);
});

test('the local provider knows English only', async () => {
  const image = await env.put(await textImage(['Hallo'], 40));
  const err = await nodeError(runNode(ocrNode, { images: [image] }, { language: 'deu' }, env.context()));
  assert.equal(err.code, 'CAPABILITY_UNSUPPORTED');
  assert.match(err.message, /"deu"/);
});

test('the single "image" input: tesseract reads that one image; pages is a one-element list', async () => {
  const lines = ['Discharge on Monday'];
  const image = await env.put(await textImage(lines, 48), 'page.png');
  const ctx = env.context();
  const out = await runNode(ocrNode, { image }, {}, ctx);
  const cer = characterErrorRate(lines.join('\n'), out.text as string);
  assert.ok(cer < 0.05, `CER ${cer}; read: ${out.text}`);
  assert.deepEqual(out.pages, [out.text]);
  assert.equal(ctx.usage.length, 1);
  assert.deepEqual(ctx.progressReports.map((p) => p.fraction), [1]);
  assert.equal(env.fake.requests.length, 0);
});

test('"image" comes before "images" through a vision model; the check asks for one of the three inputs', async () => {
  const pngs = [
    Buffer.concat([await solid(60, 40, '#ffffff').png().toBuffer(), contentMarker('single')]),
    Buffer.concat([await solid(60, 40, '#eeeeee').png().toBuffer(), contentMarker('listed')]),
  ];
  const [image, listed] = [await env.put(pngs[0]!), await env.put(pngs[1]!)];
  env.fake.script('chat', { text: 'single' }, { text: 'listed' });
  const out = await runNode(ocrNode, { image, images: [listed] }, { provider: 'openai' }, env.context());
  assert.deepEqual(out.pages, ['single', 'listed']);
  const urls = env.fake.requestsTo('chat').map((r) => r.json.messages[0].content[0].image_url.url);
  assert.deepEqual(urls, pngs.map((png) => `data:image/png;base64,${png.toString('base64')}`));

  const port = ocrNode.inputsFor({}).image!;
  assert.deepEqual([port.kind, port.required], ['image', false]);
  const connected = (...ports: string[]) => ({ isConnected: (port: string) => ports.includes(port) });
  assert.deepEqual(ocrNode.check(ocrNode.params.parse({}), connected()), ['connect "image", "images" or "document".']);
  for (const port of ['image', 'images', 'document']) assert.deepEqual(ocrNode.check(ocrNode.params.parse({}), connected(port)), [], port);
  // One call for the single image in the cost estimate.
  const size = (items: number) => ({ chars: 0, items, audioSeconds: 0, pages: items });
  const forecast = ocrNode.estimate!(ocrNode.params.parse({ provider: 'openai' }), { image: size(1), images: size(0), document: size(0) });
  assert.deepEqual(forecast.calls[0]!.calls, { min: 1, max: 1 });
});
