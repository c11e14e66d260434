import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TesseraError } from '../errors.ts';
import type { BlobRef } from './ref.ts';
import type { BlobStore } from './store.ts';
import { sniffMime } from './sniff.ts';

const SNIFF_BYTES = 4100;

/**
 * Blobs live at `<root>/<aa>/<sha256>`. A put streams into a temporary file while hashing and then renames
 * it into place, so a crash never leaves a half-written blob under a valid hash.
 */
export class FsBlobStore implements BlobStore {
  constructor(readonly root: string) {}

  async put(source: Readable | Uint8Array | string, options: { name?: string; mime?: string } = {}): Promise<BlobRef> {
    const tmpDir = path.join(this.root, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    const tmp = path.join(tmpDir, randomUUID());
    const hash = createHash('sha256');
    let size = 0;
    const head: Buffer[] = [];
    let headLength = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        if (headLength < SNIFF_BYTES) {
          head.push(chunk.subarray(0, SNIFF_BYTES - headLength));
          headLength += Math.min(chunk.length, SNIFF_BYTES - headLength);
        }
        done(null, chunk);
      },
    });
    const input = typeof source === 'string' || source instanceof Uint8Array ? Readable.from([Buffer.from(source)]) : source;
    try {
      await pipeline(input, tap, createWriteStream(tmp));
      const sha256 = hash.digest('hex');
      const final = this.pathOf(sha256);
      await mkdir(path.dirname(final), { recursive: true });
      await rename(tmp, final);
      const mime = await sniffMime(Buffer.concat(head), options.mime);
      return { sha256, mime, size, ...(options.name ? { name: options.name } : {}) };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async get(ref: Pick<BlobRef, 'sha256'>, range?: { start: number; end?: number }): Promise<Readable> {
    const file = this.pathOf(ref.sha256);
    if (!(await this.stat(ref))) throw notFound(ref.sha256);
    return createReadStream(file, range ? { start: range.start, end: range.end } : undefined);
  }

  async has(ref: Pick<BlobRef, 'sha256'>): Promise<boolean> {
    return (await this.stat(ref)) !== undefined;
  }

  async stat(ref: Pick<BlobRef, 'sha256'>): Promise<{ size: number } | undefined> {
    if (!/^[0-9a-f]{64}$/.test(ref.sha256)) return undefined;
    try {
      const s = await stat(this.pathOf(ref.sha256));
      return { size: s.size };
    } catch {
      return undefined;
    }
  }

  async readAll(ref: Pick<BlobRef, 'sha256'>): Promise<Buffer> {
    if (!(await this.stat(ref))) throw notFound(ref.sha256);
    return readFile(this.pathOf(ref.sha256));
  }

  /** The path of a blob on disk, for tools (ffmpeg, sharp) that want a file. */
  pathOf(sha256: string): string {
    return path.join(this.root, sha256.slice(0, 2), sha256);
  }
}

function notFound(sha256: string): TesseraError {
  return new TesseraError('BLOB_NOT_FOUND', `No blob with sha256 ${sha256}.`, { details: { sha256 } });
}
