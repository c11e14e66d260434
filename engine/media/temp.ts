/**
 * External tools (ffmpeg) want files, and media can be larger than memory: bytes are streamed into a
 * private temporary folder that the caller removes with `dispose` when done.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sniffFile } from '../blob/sniff.ts';

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

/**
 * Writes bytes or a stream (e.g. `blobs.get(ref)`) to a temporary file named `input.<ext>`, the extension
 * from the sniffed content (tools such as ffmpeg like one). Never named after a blob's `name`: that is a
 * client's text, and a name such as ".." would turn the path into the temp folder itself.
 */
export async function writeTempFile(source: Uint8Array | Readable): Promise<TempFile> {
  const dir = await makeTempDir();
  const raw = path.join(dir.path, 'input');
  try {
    await pipeline(source instanceof Uint8Array ? Readable.from([source]) : source, createWriteStream(raw, { flags: 'wx' }));
    const ext = (await sniffFile(raw))?.ext;
    const file = ext && /^[a-z0-9]{1,8}$/.test(ext) ? `${raw}.${ext}` : raw;
    if (file !== raw) await rename(raw, file);
    return { path: file, dispose: dir.dispose };
  } catch (err) {
    await dir.dispose();
    throw err;
  }
}
