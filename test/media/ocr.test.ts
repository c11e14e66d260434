/** Local OCR with tesseract.js and the English model from npm: offline, real recognition. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeError } from '../../engine/node-sdk/define-node.ts';
import { createLocalProvider, englishDataPath, LOCAL_OCR_MODEL, localOcr, terminateLocalOcr } from '../../engine/media/ocr-local.ts';
import { renderPdfPages } from '../../engine/media/pdf.ts';
import { characterErrorRate, levenshtein, rejectsWithCode, textImage } from './helpers.ts';
import { makePdf } from './pdf-fixture.ts';
import { existsSync } from 'node:fs';
import path from 'node:path';

after(() => terminateLocalOcr());

const LINES = [
  'Invoice 2024-117 from Harbor Supply Co.',
  'Ten boxes of nitrile gloves, size medium.',
  'Total due: 482.50 USD by March 14.',
  'The quick brown fox jumps over the lazy dog.',
];
/**
 * Measured CER on the development machine: 0 at 40 px and 16 px (0.6% at 12 px, 1.2% at 10 px).
 * The bound leaves room for other CPUs and font builds without letting real regressions through.
 */
const MAX_CER = 0.03;

test('levenshtein and CER helpers', () => {
  assert.equal(levenshtein('kitten', 'sitting'), 3);
  assert.equal(levenshtein('', 'abc'), 3);
  assert.equal(characterErrorRate('a  b\nc', 'a b c'), 0);
});

test('the English model is read from the npm package (gzipped, LSTM only)', () => {
  assert.ok(existsSync(path.join(englishDataPath(), 'eng.traineddata.gz')));
});

test('local OCR reads rendered text back with a low character error rate', async () => {
  const png = await textImage(LINES);
  const provider = createLocalProvider();
  assert.equal(provider.name, 'local');
  const result = await provider.ocr!.recognize({ image: { data: png, mime: 'image/png' }, language: 'eng' });
  const cer = characterErrorRate(LINES.join('\n'), result.text);
  console.log(`local OCR CER ${(cer * 100).toFixed(2)}% (confidence ${result.confidence})`);
  assert.ok(cer < MAX_CER, `CER ${cer} >= ${MAX_CER}; read:\n${result.text}`);
  assert.ok(result.confidence! > 50 && result.confidence! <= 100);
  assert.deepEqual(result.usage, { provider: 'local', model: LOCAL_OCR_MODEL, images: 1, costUsd: 0 });
});

test('small print (16 px) and a rendered PDF page are read too', async () => {
  const small = await localOcr.recognize({ image: { data: await textImage(LINES, 16), mime: 'image/png' } });
  const cer = characterErrorRate(LINES.join('\n'), small.text);
  console.log(`local OCR CER at 16 px ${(cer * 100).toFixed(2)}%`);
  assert.ok(cer < MAX_CER, `CER ${cer}; read:\n${small.text}`);

  const pdf = makePdf([[612, 792, 'Quarterly report: revenue grew 12 percent']]);
  for await (const page of renderPdfPages(pdf, { dpi: 150 })) {
    const read = await localOcr.recognize({ image: { data: page.png, mime: 'image/png' } });
    assert.ok(characterErrorRate('Quarterly report: revenue grew 12 percent', read.text) < MAX_CER, read.text);
  }
});

test('concurrent calls queue on the shared worker; JPEG input works', async () => {
  const { default: sharp } = await import('sharp');
  const jpeg = await sharp(await textImage(['Second image', 'Line two'])).jpeg().toBuffer();
  const [a, b] = await Promise.all([
    localOcr.recognize({ image: { data: jpeg, mime: 'image/jpeg' } }),
    localOcr.recognize({ image: { data: await textImage(['Third image']), mime: 'image/png' } }),
  ]);
  assert.ok(characterErrorRate('Second image Line two', a.text) < 0.1, a.text);
  assert.ok(characterErrorRate('Third image', b.text) < 0.1, b.text);
});

test('languages without local data and corrupt images fail clearly', async () => {
  const png = await textImage(['x']);
  const err = await localOcr.recognize({ image: { data: png, mime: 'image/png' }, language: 'deu' }).catch((e: unknown) => e);
  assert.ok(err instanceof NodeError && err.code === 'CAPABILITY_UNSUPPORTED', String(err));
  await rejectsWithCode(localOcr.recognize({ image: { data: png.subarray(0, 200), mime: 'image/png' } }), 'MEDIA_CORRUPT');
  await rejectsWithCode(localOcr.recognize({ image: { data: Buffer.from('just some text'), mime: 'image/png' } }), 'MEDIA_UNSUPPORTED');
});

test('an aborted call fails as PROVIDER_ABORTED (retryable), and the next call still works', async () => {
  const png = await textImage(LINES);
  const controller = new AbortController();
  const pending = localOcr.recognize({ image: { data: png, mime: 'image/png' }, signal: controller.signal });
  setTimeout(() => controller.abort(), 5);
  const err = await pending.catch((e: unknown) => e);
  assert.ok(err instanceof NodeError && err.code === 'PROVIDER_ABORTED' && err.options.retryable === true, String(err));
  const again = await localOcr.recognize({ image: { data: await textImage(['After abort']), mime: 'image/png' } });
  assert.ok(characterErrorRate('After abort', again.text) < 0.1, again.text);
});
