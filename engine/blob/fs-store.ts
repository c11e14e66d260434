import { once } from 'node:events';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, linkSync, renameSync, unlinkSync } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TesseraError } from '../errors.ts';
import type { BlobRef } from './ref.ts';
import type { BlobStore, PutOptions } from './store.ts';
import { sniffMime } from './sniff.ts';
import { UndoLedger, type BlobUndo } from './undo-log.ts';

const SNIFF_BYTES = 4100;

/**
 * Blobs live at `<root>/<aa>/<sha256>`. A put streams into a temporary file while hashing and then links
 * it into place, so a crash never leaves a half-written blob under a valid hash.
 */
export class FsBlobStore implements BlobStore {
  /** Which blobs open undo logs created (in this process): see undo-log.ts. */
  private readonly ledger = new UndoLedger((sha256) => this.removeSync(sha256));

  constructor(readonly root: string) {}

  async put(source: Readable | Uint8Array | string, options: PutOptions = {}): Promise<BlobRef> {
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
    const file = createWriteStream(tmp);
    try {
      await pipeline(input, tap, file);
      const sha256 = hash.digest('hex');
      const final = this.pathOf(sha256);
      await mkdir(path.dirname(final), { recursive: true });
      // One synchronous step from "placed or found" to "recorded", so that no other put or undo in this
      // process can come between (undo-log.ts).
      this.ledger.stored(sha256, place(tmp, final), options.undo);
      const mime = await sniffMime(Buffer.concat(head), options.mime);
      return { sha256, mime, size, ...(options.name ? { name: options.name } : {}) };
    } catch (err) {
      // An upload refused at once (empty, the wrong kind) can fail the pipeline while the file is still
      // being opened; the open then completes after a removal and leaves the file behind (seen in CI:
      // test/api/blobs.test.ts "an empty upload ... stores nothing"). Remove it once the stream has closed.
      if (!file.closed) await once(file, 'close').catch(() => undefined);
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

  undoLog(): BlobUndo {
    return this.ledger.open();
  }

  private removeSync(sha256: string): void {
    try {
      unlinkSync(this.pathOf(sha256));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  /** The path of a blob on disk, for tools (ffmpeg, sharp) that want a file. */
  pathOf(sha256: string): string {
    return path.join(this.root, sha256.slice(0, 2), sha256);
  }
}

/**
 * Moves the finished temporary file to its content address; true when this put created the blob. A hard
 * link fails when the target exists, which makes "did it exist before?" atomic (a rename would silently
 * replace it). Synchronous on purpose (see put). Where hard links are not supported, falls back to a
 * rename and reports "not created", so such a blob is never deleted by an undo.
 */
function place(tmp: string, final: string): boolean {
  try {
    linkSync(tmp, final);
    unlinkSync(tmp);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      unlinkSync(tmp);
      return false;
    }
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
      renameSync(tmp, final);
      return false;
    }
    throw err;
  }
}

function notFound(sha256: string): TesseraError {
  return new TesseraError('BLOB_NOT_FOUND', `No blob with sha256 ${sha256}.`, { details: { sha256 } });
}
