/**
 * External tools (ffmpeg) want files, and media can be larger than memory: bytes are streamed into a
 * private temporary folder that the caller removes with `dispose` when done.
 */
import { createWriteStream } from 'node:fs';
import { link, mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FsBlobStore } from '../blob/fs-store.ts';
import type { BlobRef } from '../blob/ref.ts';
import { sniffFile } from '../blob/sniff.ts';
import type { BlobStore } from '../blob/store.ts';

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

/**
 * A blob as a temporary file `input.<ext>` for tools: a hard link to the blob's own file when the blob store
 * keeps its files on this machine's disk and the temporary folder is on the same file system, else a copy
 * streamed from the store (`writeTempFile`). The link copies nothing: copying a 1 GB recording took 3-8 s
 * and 35-45 MiB of the worker's memory. Tools only read the file; removing the link leaves the blob.
 */
export async function blobTempFile(blobs: BlobStore, ref: Pick<BlobRef, 'sha256'>): Promise<TempFile> {
  if (blobs instanceof FsBlobStore && (await blobs.has(ref))) {
    const stored = blobs.pathOf(ref.sha256);
    const dir = await makeTempDir();
    try {
      const ext = (await sniffFile(stored))?.ext;
      const file = path.join(dir.path, ext && /^[a-z0-9]{1,8}$/.test(ext) ? `input.${ext}` : 'input');
      await link(stored, file);
      return { path: file, dispose: dir.dispose };
    } catch {
      await dir.dispose(); // another file system (EXDEV), or links not allowed there: copy
    }
  }
  return writeTempFile(await blobs.get(ref));
}
