/** Rendering PDF pages with MuPDF: a 2-page document is built with mupdf itself, then rendered. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { pdfPageCount, renderPdfPages, type RenderedPage } from '../../engine/media/pdf.ts';
import { rejectsWithCode } from './helpers.ts';
import { makePdf } from './pdf-fixture.ts';

/** Page 1: US Letter (612 x 792 pt); page 2: 400 x 300 pt. */
function twoPagePdf(): Uint8Array {
  return makePdf([
    [612, 792, 'Page one of the report'],
    [400, 300, 'Page two'],
  ]);
}

async function collect(pages: AsyncIterable<RenderedPage>): Promise<RenderedPage[]> {
  const out: RenderedPage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

const pdf = twoPagePdf();

test('page count', async () => {
  assert.equal(await pdfPageCount(pdf), 2);
});

test('renders every page to PNG at the requested DPI (72 pt per inch)', async () => {
  const pages = await collect(renderPdfPages(pdf, { dpi: 144 }));
  assert.deepEqual(pages.map((p) => [p.index, p.width, p.height, p.dpi]), [
    [0, 1224, 1584, 144],
    [1, 800, 600, 144],
  ]);
  for (const page of pages) {
    const meta = await sharp(page.png).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height, meta.hasAlpha], ['png', page.width, page.height, false]);
    // White paper with some black text on it.
    const stats = await sharp(page.png).greyscale().stats();
    assert.equal(stats.channels[0]!.max, 255);
    assert.ok(stats.channels[0]!.min < 64, 'the text was drawn');
  }
});

test('chosen pages in order; a page too large for maxPixels is rendered at a lower DPI', async () => {
  const pages = await collect(renderPdfPages(pdf, { pages: [1, 0], dpi: 300, maxPixels: 1_000_000 }));
  assert.deepEqual(pages.map((p) => p.index), [1, 0]);
  // MuPDF rounds the page box outwards, so allow a pixel of rounding on each side.
  for (const page of pages) assert.ok(page.width * page.height <= 1_005_000, `${page.width}x${page.height}`);
  assert.ok(pages[1]!.dpi < 300);
  await assert.rejects(collect(renderPdfPages(pdf, { pages: [2] })), RangeError);
});

test('stopping early releases the document (the generator\'s finally runs)', async () => {
  for await (const page of renderPdfPages(pdf, { dpi: 36 })) {
    assert.equal(page.index, 0);
    break;
  }
});

test('corrupt and non-PDF data', async () => {
  await rejectsWithCode(pdfPageCount(Buffer.from('%PDF-1.7\nthis is not a pdf body at all\n')), 'MEDIA_CORRUPT');
  await rejectsWithCode(collect(renderPdfPages(Buffer.from('%PDF-1.7\n\x00\x01garbage'))), 'MEDIA_CORRUPT');
  await rejectsWithCode(pdfPageCount(Buffer.from('plain text, no PDF')), 'MEDIA_UNSUPPORTED');
  const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: 'red' } }).png().toBuffer();
  await rejectsWithCode(pdfPageCount(png), 'MEDIA_UNSUPPORTED');
});
