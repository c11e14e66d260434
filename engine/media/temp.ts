/**
 * External tools (ffmpeg) want files, and media can be larger than memory: bytes are streamed into a
 * private temporary folder that the caller removes with `dispose` when done.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface TempDir {
  path: string;
  dispose(): Promise<void>;
}

export async function makeTempDir(prefix = 'tessera-media-'): Promise<TempDir> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { path: dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

export interface TempFile {
  path: string;
  /** Removes the file and its folder. */
  dispose(): Promise<void>;
}

/** Writes bytes or a stream (e.g. `blobs.get(ref)`) to a temporary file. `name` must be a plain file name. */
export async function writeTempFile(source: Uint8Array | Readable, name = 'input'): Promise<TempFile> {
  const dir = await makeTempDir();
  const file = path.join(dir.path, path.basename(name) || 'input');
  try {
    await pipeline(source instanceof Uint8Array ? Readable.from([source]) : source, createWriteStream(file));
  } catch (err) {
    await dir.dispose();
    throw err;
  }
  return { path: file, dispose: dir.dispose };
}
