/**
 * FsBlobStore in a temporary folder: the shared blob store suite (test/support/blob-store-suite.ts, run
 * against S3 too) and what only the file-system store has (paths for tools, the on-disk layout).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { blobStoreSuite, fsStoreUnderTest, noise, sha, type BlobStoreHarness } from '../support/blob-store-suite.ts';

let root: string;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'tessera-blobs-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const harness: BlobStoreHarness = {
  label: 'fs',
  partSize: 5 * 1024 * 1024,
  fresh: async (name) => fsStoreUnderTest(path.join(root, name)),
};

blobStoreSuite(harness);

test('fs: blobs are files at pathOf, under a two-character fan-out folder', async () => {
  const { store } = fsStoreUnderTest(path.join(root, 'paths'));
  const big = noise(300_000);
  const ref = await store.put(big);
  assert.equal(ref.sha256, sha(big));
  assert.equal(path.relative(store.root, store.pathOf(ref.sha256)), path.join(ref.sha256.slice(0, 2), ref.sha256));
  assert.equal((await stat(store.pathOf(ref.sha256))).size, big.length);
});
