/**
 * Undo logs of FsBlobStore (engine/blob/undo-log.ts): the shared undo suite (test/support/blob-store-suite.ts,
 * run against S3 too). A refused request deletes the blobs it created, and never a blob that existed before
 * it or that someone else stored meanwhile (content-addressed dedupe).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { blobUndoSuite, fsStoreUnderTest } from '../support/blob-store-suite.ts';

let root: string;
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'tessera-undo-'));
});
after(() => rm(root, { recursive: true, force: true }));

blobUndoSuite({ label: 'fs', partSize: 5 * 1024 * 1024, fresh: async (name) => fsStoreUnderTest(path.join(root, name)) });
