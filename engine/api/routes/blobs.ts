/**
 * Uploads and downloads of media (the blob store). Uploads stream to disk: a multipart file field or the
 * raw body, never held whole in memory, with the size limit, emptiness and `?kind=` enforced while the
 * bytes flow (see upload-guard.ts). Downloads support Range, ETag and HEAD.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BlobRefSchema } from '../../blob/ref.ts';
import { TesseraError } from '../../errors.ts';
import type { ApiDeps } from '../deps.ts';
import { apiError } from '../errors.ts';
import { parseRange } from '../blobs/byte-range.ts';
import { ErrorBody } from '../error-body.ts';
import { MEDIA_PORT_KINDS, mediaKindAccepts, type MediaPortKind } from '../../blob/media-kind.ts';
import { cleanBlobName } from '../../blob/name.ts';
import { sniffMime } from '../../blob/sniff.ts';
import { feed, SNIFF_BYTES, uploadGuard } from '../blobs/upload-guard.ts';
import { refuseDeclaredOversize, uploadSource } from '../blobs/upload-source.ts';

const UploadQuery = z.object({
  name: z.string().min(1).max(255).optional().describe('File name recorded in the reference (else the multipart filename).'),
  kind: z.enum(MEDIA_PORT_KINDS).optional().describe('Refuse (415) bytes that are not of this kind.'),
});

/** The bytes, with the media type sniffed when they were stored (any type: documented as a wildcard). */
const BlobBytes = { description: 'The blob\'s bytes (a range of them with 206).', content: { '*/*': { schema: z.string().meta({ format: 'binary' }) } } };
const NotModified = { description: 'If-None-Match names this blob\'s ETag.', content: { '*/*': { schema: z.string().max(0) } } };

const ShaParams = z.object({ sha256: z.string().max(200).describe('The blob\'s SHA-256 (64 lowercase hex digits).') });

export function blobsRoutes(app: FastifyInstance, deps: ApiDeps): void {
  // A scope of its own: the catch-all parser below hands the body over unread, and only uploads want that.
  void app.register(async (scope) => {
    // JSON and text files are uploads like any other here: stream them too instead of parsing them.
    scope.removeContentTypeParser(['application/json', 'text/plain']);
    // Fastify's bodyLimit applies only to parsers that buffer; this one does not, the guard limits instead.
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    const api = scope.withTypeProvider<ZodTypeProvider>();

    api.post(
      '/blobs',
      {
        schema: {
          tags: ['blobs'],
          summary: 'Upload bytes (multipart field "file", or the raw body); the media type is sniffed from the content.',
          consumes: ['application/octet-stream', 'multipart/form-data'],
          querystring: UploadQuery,
          // Documentation only: the body is a stream and must not be touched by validation.
          body: z.unknown().meta({ type: 'string', format: 'binary' }),
          response: { 201: BlobRefSchema, 400: ErrorBody, 413: ErrorBody, 415: ErrorBody },
        },
      },
      async (request, reply) => {
        const { name, kind } = request.query;
        try {
          refuseDeclaredOversize(request, deps.maxUploadBytes);
          const source = await uploadSource(request);
          const guard = uploadGuard({
            maxBytes: deps.maxUploadBytes,
            truncated: source.truncated,
            checkHead: kind ? (head) => checkKind(kind, head, source.declaredMime) : undefined,
          });
          const ref = await deps.blobs.put(feed(source.stream, guard), {
            name: cleanBlobName(name ?? source.filename),
            mime: source.declaredMime,
          });
          return reply.status(201).send(ref);
        } catch (err) {
          // The client may still be sending; do not keep the connection for a next request.
          if (err instanceof TesseraError) reply.header('connection', 'close');
          throw err;
        }
      },
    );

    // HEAD first: otherwise Fastify derives one from GET that would read the whole blob to discard it.
    api.head('/blobs/:sha256', { schema: { tags: ['blobs'], summary: 'Headers of a blob, without its bytes.', params: ShaParams, response: { 200: BlobBytes, 206: BlobBytes, 304: NotModified, 404: ErrorBody, 416: ErrorBody } } }, (request, reply) =>
      download(deps, request, reply, request.params.sha256),
    );
    api.get(
      '/blobs/:sha256',
      {
        schema: {
          tags: ['blobs'],
          summary: 'Download a blob; supports Range (206, 416), ETag and If-None-Match.',
          params: ShaParams,
          response: { 200: BlobBytes, 206: BlobBytes, 304: NotModified, 404: ErrorBody, 416: ErrorBody },
        },
      },
      (request, reply) => download(deps, request, reply, request.params.sha256),
    );
  });
}

async function checkKind(kind: MediaPortKind, head: Buffer, declared?: string): Promise<void> {
  const mime = await sniffMime(head, declared);
  const what = { image: 'an image', audio: 'audio', document: 'a document' }[kind];
  if (!mediaKindAccepts(kind, mime)) throw apiError('UNSUPPORTED_MEDIA', `The upload is ${mime}, not ${what}.`, { mime, kind });
}

async function download(deps: ApiDeps, request: FastifyRequest, reply: FastifyReply, sha256: string) {
  const stat = /^[0-9a-f]{64}$/.test(sha256) ? await deps.blobs.stat({ sha256 }) : undefined;
  if (!stat) throw apiError('BLOB_NOT_FOUND', `No blob with sha256 ${sha256.slice(0, 64)}.`, { sha256: sha256.slice(0, 64) });
  void reply
    .header('etag', `"${sha256}"`)
    .header('accept-ranges', 'bytes')
    // Content-addressed, so never stale; private because the API sits behind keys.
    .header('cache-control', 'private, max-age=31536000, immutable');
  if (etagMatches(request.headers['if-none-match'], sha256)) return reply.status(304).send();

  const range = parseRange(request.headers.range, stat.size);
  if (range.kind === 'unsatisfiable') {
    const message = `The range "${request.headers.range}" is outside the blob's ${stat.size} bytes.`;
    // No catalogue code has status 416; the code says what is wrong, the status says it is about the range.
    return reply.status(416).header('content-range', `bytes */${stat.size}`).send({ error: { code: 'REQUEST_INVALID', message, details: { size: stat.size } } });
  }
  const { start, end } = range.kind === 'range' ? range : { start: 0, end: stat.size - 1 };
  if (range.kind === 'range') reply.status(206).header('content-range', `bytes ${start}-${end}/${stat.size}`);
  void reply
    .header('content-type', await sniffMime(await readHead(deps, sha256, stat.size)))
    .header('content-length', String(end - start + 1))
    // User-supplied bytes served from the API's origin must never run as a page.
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox");
  if (request.method === 'HEAD' || stat.size === 0) return reply.send();
  return reply.send(await deps.blobs.get({ sha256 }, { start, end }));
}

async function readHead(deps: ApiDeps, sha256: string, size: number): Promise<Buffer> {
  if (size === 0) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of await deps.blobs.get({ sha256 }, { start: 0, end: Math.min(size, SNIFF_BYTES) - 1 })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function etagMatches(header: string | undefined, sha256: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim().replace(/^W\//, '');
    return t === '*' || t === `"${sha256}"`;
  });
}
