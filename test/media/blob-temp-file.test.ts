/**
 * blobTempFile: a blob of the file-system store reaches the tools as a hard link to its own file (no copy:
 * the transcribe node used to copy a 1 GB recording, 3-8 s and 35-45 MiB of the worker's memory), named
 * after its sniffed type; other stores, and a missing blob, go through the store's stream as before.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { FsBlobStore } from '../../engine/blob/fs-store.ts';
import type { BlobStore } from '../../engine/blob/store.ts';
import { blobTempFile } from '../../engine/media/temp.ts';

let dir: string;
let blobs: FsBlobStore;
// A WAV header and some samples: sniffed as wav.
const wav = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVEfmt '), Buffer.alloc(2000, 7)]);

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-blob-temp-'));
  blobs = new FsBlobStore(path.join(dir, 'blobs'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('a blob of the file-system store is hard-linked, not copied; disposing of it leaves the blob', async () => {
  const ref = await blobs.put(wav, { name: 'a.wav' });
  const file = await blobTempFile(blobs, ref);
  assert.equal(path.basename(file.path), 'input.wav');
  const [linked, stored] = await Promise.all([stat(file.path), stat(blobs.pathOf(ref.sha256))]);
  assert.equal(linked.ino, stored.ino, 'the same file (a hard link; the temporary folder is on the same file system here)');
  await file.dispose();
  assert.ok(!existsSync(file.path));
  assert.deepEqual(await blobs.readAll(ref), wav);
});

test('another store gets a copy of the stream; a missing blob is BLOB_NOT_FOUND', async () => {
  const ref = await blobs.put(wav);
  // Not an FsBlobStore: only its stream is known.
  const other: BlobStore = {
    put: (source, options) => blobs.put(source, options),
    get: (r, range) => blobs.get(r, range),
    has: (r) => blobs.has(r),
    stat: (r) => blobs.stat(r),
    readAll: (r) => blobs.readAll(r),
    undoLog: () => blobs.undoLog(),
  };
  const file = await blobTempFile(other, ref);
  try {
    assert.equal(path.basename(file.path), 'input.wav');
    assert.notEqual((await stat(file.path)).ino, (await stat(blobs.pathOf(ref.sha256))).ino);
    assert.deepEqual(await readFile(file.path), wav);
  } finally {
    await file.dispose();
  }
  await assert.rejects(blobTempFile(blobs, { sha256: 'f'.repeat(64) }), (err: { code?: string }) => err.code === 'BLOB_NOT_FOUND');
});
