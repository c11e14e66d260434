/**
 * GET /blobs/:sha256/pages/:page: a page of a PDF blob as a PNG, for previews (the editor shows a
 * document output's first pages). Rendered with MuPDF at preview size, one page at a time; the answer
 * says how many pages the document has. Content-addressed, so cached like the blob itself.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sniffBuffer } from '../../blob/sniff.ts';
import { pdfPageCount, renderPdfPages } from '../../media/pdf.ts';
import type { ApiDeps } from '../deps.ts';
import { apiError } from '../errors.ts';
import { ErrorBody } from '../error-body.ts';

/** Previews read the whole document into memory (MuPDF needs the bytes): larger ones are not previewed. */
export const MAX_PREVIEW_BYTES = 64 * 1024 * 1024;
/** About 600 px wide for a Letter or A4 page: enough to recognise it, small to send. */
const PREVIEW_DPI = 72;
const PREVIEW_MAX_PIXELS = 1_200_000;

const Params = z.object({
  sha256: z.string().max(200).describe('The blob\'s SHA-256 (64 lowercase hex digits).'),
  page: z.coerce.number().int().min(1).max(100_000).describe('The page, from 1.'),
});
const Png = { description: 'The page as a PNG; the `x-page-count` header has the number of pages.', content: { 'image/png': { schema: z.string().meta({ format: 'binary' }) } } };

export function blobPreviewRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/blobs/:sha256/pages/:page',
    { schema: { tags: ['blobs'], summary: 'A page of a PDF blob as a PNG preview (x-page-count: the number of pages).', params: Params, response: { 200: Png, 400: ErrorBody, 404: ErrorBody, 415: ErrorBody } } },
    async (request, reply) => preview(deps, request.params, reply),
  );
}

async function preview(deps: ApiDeps, { sha256, page }: z.infer<typeof Params>, reply: FastifyReply) {
  const stat = /^[0-9a-f]{64}$/.test(sha256) ? await deps.blobs.stat({ sha256 }) : undefined;
  if (!stat) throw apiError('BLOB_NOT_FOUND', `No blob with sha256 ${sha256.slice(0, 64)}.`, { sha256: sha256.slice(0, 64) });
  if (stat.size > MAX_PREVIEW_BYTES) throw apiError('UNSUPPORTED_MEDIA', `The document is ${stat.size} bytes; previews are made for documents up to ${MAX_PREVIEW_BYTES} bytes.`, { size: stat.size });
  const bytes = await deps.blobs.readAll({ sha256 });
  const mime = (await sniffBuffer(bytes))?.mime;
  if (mime !== 'application/pdf') throw apiError('UNSUPPORTED_MEDIA', `Page previews are made of PDF documents; this blob is ${mime ?? 'of an unknown type'}.`, { mime });
  try {
    const count = await pdfPageCount(bytes);
    if (page > count) throw apiError('REQUEST_INVALID', `The document has ${count} page${count === 1 ? '' : 's'}; there is no page ${page}.`, { pages: count });
    for await (const rendered of renderPdfPages(bytes, { pages: [page - 1], dpi: PREVIEW_DPI, maxPixels: PREVIEW_MAX_PIXELS })) {
      return reply
        .header('content-type', 'image/png')
        .header('x-page-count', String(count))
        .header('cache-control', 'private, max-age=31536000, immutable')
        .header('x-content-type-options', 'nosniff')
        .send(rendered.png);
    }
    throw apiError('INTERNAL', 'The page was not rendered.');
  } catch (err) {
    // A damaged PDF is the upload's fault, not the server's.
    if ((err as { code?: string }).code === 'MEDIA_CORRUPT' || (err as { code?: string }).code === 'MEDIA_UNSUPPORTED') throw apiError('UNSUPPORTED_MEDIA', (err as Error).message);
    throw err;
  }
}
