/**
 * Where the bytes of an upload come from: the first file field of a multipart form, or the raw request
 * body (any other content type), which the blobs route receives as an unread stream.
 */
import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { TesseraError } from '../../errors.ts';
import { apiError } from '../errors.ts';

export interface UploadSource {
  stream: Readable;
  /** The multipart filename, if any. */
  filename?: string;
  /** The client's media type: used only when sniffing the bytes finds nothing. */
  declaredMime?: string;
  /** True when busboy cut the file off at the multipart fileSize limit (it then ends the stream normally). */
  truncated?: () => boolean;
}

/** A multipart form adds boundaries and part headers around the file; this much is allowed on top of it. */
const FORM_OVERHEAD_BYTES = 64 * 1024;

/**
 * Refuses at once, before a byte of the body is read, an upload whose declared Content-Length is over the
 * limit: the client need not send it all to learn that (and cannot hold the connection doing so).
 */
export function refuseDeclaredOversize(request: FastifyRequest, maxBytes: number): void {
  const declared = Number(request.headers['content-length'] ?? 0);
  const allowed = maxBytes + (request.isMultipart() ? FORM_OVERHEAD_BYTES : 0);
  if (Number.isFinite(declared) && declared > allowed) {
    throw apiError('PAYLOAD_TOO_LARGE', `The upload (${declared} bytes declared) is larger than the limit of ${maxBytes} bytes.`, { limit: maxBytes });
  }
}

export async function uploadSource(request: FastifyRequest): Promise<UploadSource> {
  if (!request.isMultipart()) {
    // No content type and no body leaves `body` undefined; the raw request is then the (empty) source.
    const stream = request.body instanceof Readable ? request.body : request.raw;
    return { stream, declaredMime: bareMediaType(request.headers['content-type']) };
  }
  const part = await request.file().catch((err: unknown) => {
    throw clientError(err);
  });
  if (!part) throw apiError('REQUEST_INVALID', 'The multipart form has no file field; send the bytes in a field named "file".');
  const file = part.file as Readable & { truncated?: boolean };
  return {
    stream: file,
    filename: part.filename || undefined,
    declaredMime: bareMediaType(part.mimetype),
    truncated: () => file.truncated === true,
  };
}

/** A malformed form is the client's fault; busboy's errors carry no status, which would read as a 500. */
export function clientError(err: unknown): Error {
  if (err instanceof TesseraError) return err;
  const status = (err as { statusCode?: number }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return err as Error;
  return apiError('REQUEST_INVALID', `The upload could not be read: ${(err as Error)?.message ?? String(err)}`);
}

/** The media type without parameters ("text/plain; charset=utf-8" -> "text/plain"), or undefined. */
function bareMediaType(header: string | undefined): string | undefined {
  const type = header?.split(';')[0].trim().toLowerCase();
  return type && /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type) ? type : undefined;
}
