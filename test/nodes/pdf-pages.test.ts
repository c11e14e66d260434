/** The pdf-pages node with a real blob store: a PDF built with mupdf becomes one PNG blob per page, in page order. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { BlobRef } from '../../engine/blob/ref.ts';
import { FsBlobStore } from '../../engine/blob/fs-store.ts';
import { pdfPagesNode } from '../../nodes/pdf-pages/index.ts';
import { builtinNodes } from '../../nodes/index.ts';
import { nodeContext, nodeError, runNode } from '../support/node-harness.ts';
import { makePdf } from '../media/pdf-fixture.ts';
import { wavBytes } from '../support/fixtures.ts';

let dir: string;
let blobs: FsBlobStore;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-pdf-pages-'));
  blobs = new FsBlobStore(path.join(dir, 'blobs'));
});
after(() => rm(dir, { recursive: true, force: true }));

const context = () => nodeContext({ blobs });

/** Three pages of different sizes (points), so each rendered page can be told apart by its dimensions. */
const PAGES: [number, number, string][] = [
  [612, 792, 'First page'],
  [400, 300, 'Second page'],
  [300, 500, 'Third page'],
];

async function dimensions(ref: BlobRef): Promise<[string | undefined, number | undefined, number | undefined]> {
  const meta = await sharp(await blobs.readAll(ref)).metadata();
  return [meta.format, meta.width, meta.height];
}

test('a three-page PDF: three PNG blobs in page order, sized by the DPI; count and progress per page', async () => {
  const pdf = await blobs.put(makePdf(PAGES), { name: 'report.pdf' });
  assert.equal(pdf.mime, 'application/pdf');
  const ctx = context();
  const out = await runNode(pdfPagesNode, { document: pdf }, { dpi: 72 }, ctx);
  const pages = out.pages as BlobRef[];
  assert.equal(out.count, 3);
  assert.equal(pages.length, 3);
  // 72 dpi is one pixel per point (MuPDF may round the box outwards by a pixel).
  for (const [i, ref] of pages.entries()) {
    assert.equal(ref.mime, 'image/png');
    assert.equal(ref.name, `report-page-${i + 1}.png`);
    const [format, width, height] = await dimensions(ref);
    assert.equal(format, 'png');
    assert.ok(Math.abs(width! - PAGES[i]![0]) <= 1 && Math.abs(height! - PAGES[i]![1]) <= 1, `page ${i + 1}: ${width}x${height}`);
  }
  assert.deepEqual(ctx.progressReports.map((p) => p.fraction), [1 / 3, 2 / 3, 1]);
  assert.ok(ctx.progressReports.every((p) => /^page \d \(\d of 3\)$/.test(p.message ?? '')), JSON.stringify(ctx.progressReports));
});

test('the default DPI is 150; firstPage and maxPages choose a run of pages', async () => {
  const pdf = await blobs.put(makePdf(PAGES));
  const all = await runNode(pdfPagesNode, { document: pdf }, {}, context());
  const [, width, height] = await dimensions((all.pages as BlobRef[])[1]!);
  // 400 x 300 pt at 150 dpi is 833.3 x 625 px; MuPDF rounds the box outwards.
  assert.ok(Math.abs(width! - (400 * 150) / 72) <= 1 && Math.abs(height! - (300 * 150) / 72) <= 1, `${width}x${height}`);

  const tail = await runNode(pdfPagesNode, { document: pdf }, { dpi: 72, firstPage: 2 }, context());
  assert.equal(tail.count, 2);
  assert.deepEqual((await Promise.all((tail.pages as BlobRef[]).map(dimensions))).map(([, w]) => w), [400, 300]);

  const ctx = context();
  const one = await runNode(pdfPagesNode, { document: pdf }, { dpi: 72, firstPage: 2, maxPages: 1 }, ctx);
  assert.equal(one.count, 1);
  assert.equal((await dimensions((one.pages as BlobRef[])[0]!))[1], 400);
  assert.deepEqual(ctx.progressReports.map((p) => p.fraction), [1]);

  const past = await nodeError(runNode(pdfPagesNode, { document: pdf }, { firstPage: 4 }, context()));
  assert.equal(past.code, 'PARAMS_INVALID');
  assert.match(past.message, /firstPage is 4 but the PDF has 3 pages/);
});

test('params are bounded', () => {
  for (const bad of [{ dpi: 10 }, { dpi: 1000 }, { maxPages: 0 }, { maxPages: 2001 }, { firstPage: 0 }, { dpi: 150.5 }]) {
    assert.equal(pdfPagesNode.params.safeParse(bad).success, false, JSON.stringify(bad));
  }
  assert.deepEqual(pdfPagesNode.params.parse({}), { dpi: 150, maxPages: 200, firstPage: 1 });
});

test('a corrupt PDF is MEDIA_CORRUPT and a non-PDF MEDIA_UNSUPPORTED, not retried', async () => {
  const corrupt = await blobs.put(Buffer.from('%PDF-1.7\nthis is not a pdf body at all\n'), { name: 'broken.pdf' });
  assert.equal(corrupt.mime, 'application/pdf');
  const ctx = context();
  const err = await nodeError(runNode(pdfPagesNode, { document: corrupt }, {}, ctx));
  assert.equal(err.code, 'MEDIA_CORRUPT');
  assert.equal(err.options.retryable, false);
  assert.equal(ctx.progressReports.length, 0);

  const audio = await blobs.put(wavBytes(), { name: 'voice.wav' });
  const unsupported = await nodeError(runNode(pdfPagesNode, { document: audio }, {}, context()));
  assert.equal(unsupported.code, 'MEDIA_UNSUPPORTED');
  assert.match(unsupported.message, /audio\/wav/);
});

test('a regular cacheable activity, registered as a built-in, whose estimate sizes its image list', () => {
  assert.ok(builtinNodes.includes(pdfPagesNode));
  assert.equal(pdfPagesNode.execution.cacheable, true);
  assert.notEqual(pdfPagesNode.execution.local, true);
  assert.ok(pdfPagesNode.execution.heartbeatTimeout);
  assert.deepEqual(pdfPagesNode.inputsFor({}), { document: { kind: 'document', description: 'The PDF.' } });
  assert.deepEqual(Object.fromEntries(Object.entries(pdfPagesNode.outputsFor({})).map(([k, v]) => [k, v.kind])), { pages: 'image[]', count: 'json' });
  const document = { chars: 0, items: 1, audioSeconds: 0, pages: 30 };
  const forecast = pdfPagesNode.estimate!(pdfPagesNode.params.parse({ maxPages: 20, firstPage: 5 }), { document });
  assert.deepEqual(forecast.calls, []);
  assert.equal(forecast.outputs?.pages?.items, 20);
  assert.equal(pdfPagesNode.estimate!(pdfPagesNode.params.parse({ firstPage: 25 }), { document }).outputs?.pages?.items, 6);
});
