/** Inspecting images and preparing them for providers' format and size limits. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import {
  ANTHROPIC_IMAGE_LIMITS,
  fitWithin,
  inspectImage,
  OPENAI_HIGH_DETAIL_LIMITS,
  OPENAI_LOW_DETAIL_LIMITS,
  prepareImageForProvider,
} from '../../engine/media/image.ts';
import { noise, rejectsWithCode, solid } from './helpers.ts';

test('inspect: format, size and frames come from the bytes; EXIF orientation is applied', async () => {
  const png = await solid(320, 200, '#336699', true).png().toBuffer();
  assert.deepEqual(await inspectImage(png), { format: 'png', mime: 'image/png', width: 320, height: 200, bytes: png.length, hasAlpha: true, frames: 1, rotated: false });
  const rotated = await solid(200, 100, '#ff0000').jpeg().withMetadata({ orientation: 6 }).toBuffer();
  const info = await inspectImage(rotated);
  assert.deepEqual([info.format, info.width, info.height, info.rotated], ['jpeg', 100, 200, true]);
  // Re-encoded upright even though it fits: the pixels are rotated, the EXIF tag is gone.
  const upright = await prepareImageForProvider(rotated, ANTHROPIC_IMAGE_LIMITS);
  const meta = await sharp(upright.data).metadata();
  assert.deepEqual([upright.changed, meta.width, meta.height, meta.orientation ?? 1], [true, 100, 200, 1]);
  const frames = await Promise.all(['#ff0000', '#00ff00', '#0000ff'].map((c) => solid(40, 30, c).png().toBuffer()));
  const gif = await sharp(frames, { join: { animated: true } }).gif().toBuffer();
  assert.equal((await inspectImage(gif)).frames, 3);
});

test('fitWithin: OpenAI high detail (2048 box, then short side 768), Anthropic 1568 / 1.15 MP', () => {
  assert.deepEqual(fitWithin(2048, 4096, OPENAI_HIGH_DETAIL_LIMITS), { width: 768, height: 1536 });
  assert.deepEqual(fitWithin(4000, 3000, OPENAI_HIGH_DETAIL_LIMITS), { width: 1024, height: 768 });
  assert.deepEqual(fitWithin(1024, 1024, OPENAI_HIGH_DETAIL_LIMITS), { width: 768, height: 768 });
  assert.deepEqual(fitWithin(700, 500, OPENAI_HIGH_DETAIL_LIMITS), { width: 700, height: 500 });
  assert.deepEqual(fitWithin(3000, 1000, OPENAI_LOW_DETAIL_LIMITS), { width: 512, height: 171 });
  assert.deepEqual(fitWithin(3136, 1000, { maxSide: 1568 }), { width: 1568, height: 500 });
  const a = fitWithin(3000, 2000, ANTHROPIC_IMAGE_LIMITS);
  assert.ok(a.width <= 1568 && a.width * a.height <= 1_151_000, JSON.stringify(a));
  assert.ok(Math.abs(a.width / a.height - 1.5) < 0.01);
});

test('an image that already fits passes through byte for byte', async () => {
  const png = await solid(640, 480, '#abcdef').png().toBuffer();
  const out = await prepareImageForProvider(png, ANTHROPIC_IMAGE_LIMITS);
  assert.equal(out.changed, false);
  assert.equal(out.data, png);
  assert.deepEqual([out.mime, out.width, out.height], ['image/png', 640, 480]);
});

test('unsupported formats are converted: TIFF to PNG, AVIF to JPEG, animated GIF to its first frame', async () => {
  const tiff = await solid(3000, 2000, '#808080').tiff().toBuffer();
  const fromTiff = await prepareImageForProvider(tiff, ANTHROPIC_IMAGE_LIMITS);
  assert.equal(fromTiff.source.mime, 'image/tiff');
  assert.equal(fromTiff.mime, 'image/png');
  assert.ok(fromTiff.width <= 1568 && fromTiff.width * fromTiff.height <= 1_151_000);
  assert.deepEqual(await sharp(fromTiff.data).metadata().then((m) => [m.format, m.width, m.height]), ['png', fromTiff.width, fromTiff.height]);

  const avif = await solid(400, 300, '#ff8800').avif().toBuffer();
  const fromAvif = await prepareImageForProvider(avif, OPENAI_HIGH_DETAIL_LIMITS);
  assert.deepEqual([fromAvif.source.format, fromAvif.mime, fromAvif.width, fromAvif.height], ['heif', 'image/jpeg', 400, 300]);

  const red = await solid(60, 40, '#ff0000').png().toBuffer();
  const blue = await solid(60, 40, '#0000ff').png().toBuffer();
  const gif = await sharp([red, blue], { join: { animated: true } }).gif().toBuffer();
  const still = await prepareImageForProvider(gif, OPENAI_HIGH_DETAIL_LIMITS);
  assert.equal(still.mime, 'image/png');
  const meta = await sharp(still.data).metadata();
  assert.deepEqual([meta.pages ?? 1, meta.width, meta.height], [1, 60, 40]);

  // A provider that takes only JPEG and PNG gets WebP as PNG.
  const webp = await solid(50, 50, '#00ff00', true).webp().toBuffer();
  const fromWebp = await prepareImageForProvider(webp, { formats: ['jpeg', 'png'] });
  assert.equal(fromWebp.mime, 'image/png');
});

test('large photos are resized to the provider limits and stay JPEG', async () => {
  const jpeg = await noise(4000, 3000).jpeg({ quality: 80 }).toBuffer();
  const out = await prepareImageForProvider(jpeg, OPENAI_HIGH_DETAIL_LIMITS);
  assert.deepEqual([out.mime, out.width, out.height, out.changed], ['image/jpeg', 1024, 768, true]);
  const meta = await sharp(out.data).metadata();
  assert.deepEqual([meta.width, meta.height], [1024, 768]);
});

test('byte limits: PNG falls back to JPEG, then quality and size step down until it fits', async () => {
  const png = await noise(1200, 1200).png().toBuffer();
  assert.ok(png.length > 2_000_000);
  const out = await prepareImageForProvider(png, { formats: ['png', 'jpeg'], maxBytes: 150_000 });
  assert.ok(out.data.length <= 150_000, `${out.data.length} bytes`);
  assert.equal(out.mime, 'image/jpeg');
  assert.ok(out.width < 1200 && out.width === out.height);
  // PNG-only providers keep PNG and only the size shrinks.
  const pngOnly = await prepareImageForProvider(png, { formats: ['png'], maxBytes: 400_000 });
  assert.ok(pngOnly.data.length <= 400_000 && pngOnly.mime === 'image/png');
});

test('corrupt and unsupported images fail with clear, non-retryable errors', async () => {
  const png = await solid(300, 300, '#ff0000').png().toBuffer();
  const truncated = png.subarray(0, Math.floor(png.length / 2));
  await rejectsWithCode(prepareImageForProvider(truncated, ANTHROPIC_IMAGE_LIMITS), 'MEDIA_CORRUPT');
  // A valid PNG signature followed by garbage.
  const garbage = Buffer.concat([png.subarray(0, 16), Buffer.alloc(200, 0x5a)]);
  const err = await rejectsWithCode(prepareImageForProvider(garbage, ANTHROPIC_IMAGE_LIMITS), 'MEDIA_CORRUPT');
  assert.match(err.message, /image\/png/);
  await rejectsWithCode(inspectImage(Buffer.from('hello, not an image')), 'MEDIA_UNSUPPORTED');
  await rejectsWithCode(inspectImage(Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\n')), 'MEDIA_UNSUPPORTED');
  // A BMP header (file-type knows BMP; this sharp build cannot decode it).
  const bmp = Buffer.alloc(64);
  bmp.write('BM', 0, 'latin1');
  const unsupported = await rejectsWithCode(inspectImage(bmp), 'MEDIA_UNSUPPORTED');
  assert.match(unsupported.message, /convert/);
});
