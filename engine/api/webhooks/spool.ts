/**
 * A signed multipart body is verified before anything in it is stored: its raw bytes stream into a
 * private temporary file (mode 0600, in a fresh 0700 folder) while they are hashed; the caller checks the
 * signature, and only then parses the form from the file (form-parts.ts) into the blob store. Memory
 * stays bounded however large the upload. `dispose()` removes the file; call it when the request ends.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Hmac } from 'node:crypto';
import { feed, uploadGuard } from '../blobs/upload-guard.ts';

export interface SpooledBody {
  file: string;
  dispose(): Promise<void>;
}

export async function spoolBody(raw: Readable, hmac: Hmac, maxBytes: number): Promise<SpooledBody> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-hook-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  const file = path.join(dir, 'body');
  const hash = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hmac.update(chunk);
      done(null, chunk);
    },
  });
  try {
    // The guard refuses a body past the limit without destroying the request (the 413 must reach the client).
    await pipeline(feed(raw, uploadGuard({ maxBytes })), hash, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
  } catch (err) {
    await dispose();
    throw err;
  }
  return { file, dispose };
}
