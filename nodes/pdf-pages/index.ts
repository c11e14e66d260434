import { z } from 'zod';
import type { BlobRef } from '../../engine/blob/ref.ts';
import type { BlobStore } from '../../engine/blob/store.ts';
import { defineNode, NodeError } from '../../engine/node-sdk/define-node.ts';
import { mediaError } from '../../engine/media/errors.ts';
import { pdfPageCount, renderPdfPages } from '../../engine/media/pdf.ts';

/** Larger files are refused before they are read: MuPDF needs the whole document in memory. */
const MAX_INPUT_BYTES = 200 * 1024 * 1024;

const params = z.object({
  dpi: z.number().int().min(36).max(600).default(150).describe('Resolution the pages are rendered at (72 is one pixel per point).'),
  maxPages: z.number().int().min(1).max(2000).default(200).describe('Most pages to render; later pages are left out.'),
  firstPage: z.number().int().min(1).default(1).describe('First page to render, counting from 1.'),
});

/**
 * Splits a PDF into one PNG image per page, in page order, so that the pages can go one by one through
 * image nodes (ocr, caption, image-tile), for example under a map node.
 */
export const pdfPagesNode = defineNode({
  type: 'pdf-pages',
  version: 1,
  title: 'PDF pages',
  category: 'Image',
  description:
    'Renders the pages of a PDF to PNG images, in page order: from firstPage, at most maxPages of them, at the given DPI ' +
    '(a very large page is rendered at a lower DPI, up to 40 megapixels).',
  params,
  inputs: { document: { kind: 'document', description: 'The PDF.' } },
  outputs: {
    pages: { kind: 'image[]', description: 'One PNG per page, in page order.' },
    count: { kind: 'json', description: 'How many pages were rendered (the length of "pages").' },
  },
  // Regular (not local) activity: rendering is media work. Progress heartbeats once per page.
  execution: { startToCloseTimeout: '30m', heartbeatTimeout: '2m' },
  // No provider calls; the estimate only says how many images come out, for the nodes downstream.
  estimate: (p, inputs) => {
    const rendered = Math.min(p.maxPages, Math.max(0, (inputs.document?.pages ?? 0) - (p.firstPage - 1)));
    return { calls: [], outputs: { pages: { chars: 0, items: rendered, pages: rendered }, count: { chars: 4, items: 1, pages: 0 } } };
  },
  run: async (ctx, inputs, p) => {
    const bytes = await readPdf(ctx.blobs, inputs.document);
    const total = await pdfPageCount(bytes);
    if (p.firstPage > total) {
      throw new NodeError('PARAMS_INVALID', `firstPage is ${p.firstPage} but the PDF has ${total} page${total === 1 ? '' : 's'}.`, {
        retryable: false,
      });
    }
    const first = p.firstPage - 1;
    const count = Math.min(p.maxPages, total - first);
    if (first + count < total) {
      ctx.log.warn({ nodeId: ctx.nodeId, total, firstPage: p.firstPage, maxPages: p.maxPages }, `pdf-pages: rendering ${count} of the PDF's ${total} pages (maxPages)`);
    }
    const indexes = Array.from({ length: count }, (_, i) => first + i);
    const base = inputs.document.name?.replace(/\.[^.]*$/, '') || 'page';
    const pages: BlobRef[] = [];
    for await (const page of renderPdfPages(bytes, { dpi: p.dpi, pages: indexes })) {
      ctx.signal.throwIfAborted();
      pages.push(await ctx.blobs.put(page.png, { name: `${base}-page-${page.index + 1}.png` }));
      ctx.progress(pages.length / count, `page ${page.index + 1} (${pages.length} of ${count})`);
    }
    return { pages, count: pages.length };
  },
});

async function readPdf(blobs: BlobStore, ref: BlobRef): Promise<Buffer> {
  // Refused by its sniffed type before it is read; openPdf sniffs the bytes again and refuses a damaged PDF as MEDIA_CORRUPT.
  if (ref.mime !== 'application/pdf') throw mediaError('MEDIA_UNSUPPORTED', `pdf-pages reads PDFs, not ${ref.mime}.`);
  const stat = await blobs.stat(ref);
  if (stat && stat.size > MAX_INPUT_BYTES) {
    throw mediaError('MEDIA_TOO_LARGE', `The PDF is ${stat.size} bytes; pdf-pages accepts up to ${MAX_INPUT_BYTES}.`);
  }
  return blobs.readAll(ref);
}
