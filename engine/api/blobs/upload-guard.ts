/**
 * The checks an upload must pass while it streams into the blob store: not empty, not larger than the
 * limit, and (optionally) of the expected media kind. Each failure is raised as an error of the stream
 * itself, because the blob store deletes its temporary file when its input stream fails: a refused upload
 * never leaves a blob or a temp file behind, and the bytes are never held whole in memory.
 */
import { Transform, type Readable } from 'node:stream';
import { apiError } from '../errors.ts';
import { clientError } from './upload-source.ts';

/** Bytes kept for media-type sniffing; the blob store sniffs the same prefix. */
export const SNIFF_BYTES = 4100;

export interface UploadGuardOptions {
  maxBytes: number;
  /** True when the source cut the bytes off at its own limit (busboy does so for multipart files). */
  truncated?: () => boolean;
  /** Inspects the first bytes (up to SNIFF_BYTES) once; throwing refuses the upload. */
  checkHead?: (head: Buffer) => Promise<void>;
}

export function uploadGuard(options: UploadGuardOptions): Transform {
  let size = 0;
  let head: Buffer[] = [];
  let headLength = 0;
  let headChecked = !options.checkHead;
  const tooLarge = () => apiError('PAYLOAD_TOO_LARGE', `The upload is larger than the limit of ${options.maxBytes} bytes.`, { limit: options.maxBytes });
  const checkHead = async () => {
    headChecked = true;
    const bytes = Buffer.concat(head);
    head = [];
    await options.checkHead?.(bytes);
  };

  return new Transform({
    async transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > options.maxBytes) return done(tooLarge());
      if (!headChecked) {
        head.push(chunk.subarray(0, SNIFF_BYTES - headLength));
        headLength += Math.min(chunk.length, SNIFF_BYTES - headLength);
        if (headLength >= SNIFF_BYTES) {
          try {
            await checkHead();
          } catch (err) {
            return done(err as Error);
          }
        }
      }
      done(null, chunk);
    },
    async flush(done) {
      if (options.truncated?.()) return done(tooLarge());
      if (size === 0) return done(apiError('REQUEST_INVALID', 'The upload is empty.'));
      try {
        if (!headChecked) await checkHead();
      } catch (err) {
        return done(err as Error);
      }
      done();
    },
  });
}

/**
 * Pipes `source` into `guard` without tying their lifetimes the other way round: a failing guard must not
 * destroy the source, since destroying an HTTP request destroys its socket and the client would never see
 * the 413. A failing or interrupted source (client gone mid-upload) does fail the guard, so that the blob
 * store stops and cleans up instead of waiting forever.
 */
export function feed(source: Readable, guard: Transform): Transform {
  source.once('error', (err) => guard.destroy(clientError(err)));
  source.once('close', () => {
    if (!source.readableEnded) guard.destroy(apiError('REQUEST_INVALID', 'The upload was interrupted.'));
  });
  guard.once('error', () => {
    // Unpiped by now; read and drop the rest so that the answer reaches a client still sending.
    source.unpipe(guard);
    source.resume();
  });
  return source.pipe(guard);
}
