/**
 * Undo logs of FsBlobStore (engine/blob/undo-log.ts): a refused request deletes the blobs it created, and
 * never a blob that existed before it or that someone else stored meanwhile (content-addressed dedupe).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { FsBlobStore } from '../../engine/blob/fs-store.ts';

let root: string;
let store: FsBlobStore;
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'tessera-undo-'));
  store = new FsBlobStore(root);
});
after(() => rm(root, { recursive: true, force: true }));

test('rollback deletes what the request created; commit keeps it', async () => {
  const refused = store.undoLog();
  const a = await store.put('created by a refused request', { undo: refused });
  const again = await store.put('created by a refused request', { undo: refused }); // the same request, twice
  assert.equal(again.sha256, a.sha256);
  refused.rollback();
  assert.equal(await store.has(a), false);

  const accepted = store.undoLog();
  const b = await store.put('created by an accepted request', { undo: accepted });
  accepted.commit();
  accepted.rollback(); // too late: a closed log does nothing
  assert.equal(await store.has(b), true);
});

test('a blob that existed before the request is never deleted', async () => {
  const before = await store.put('uploaded earlier by someone else');
  const undo = store.undoLog();
  await store.put('uploaded earlier by someone else', { undo });
  undo.rollback();
  assert.equal(await store.has(before), true);
});

test('a blob someone else stored while the request was open is kept', async () => {
  const first = store.undoLog();
  const second = store.undoLog();
  const ref = await store.put('the same bytes from two requests', { undo: first });
  await store.put('the same bytes from two requests', { undo: second }); // found, not created
  first.rollback();
  second.rollback();
  assert.equal(await store.has(ref), true, 'the second request relies on it');

  const undo = store.undoLog();
  const other = await store.put('then stored by a worker or POST /blobs', { undo });
  await store.put('then stored by a worker or POST /blobs'); // no log at all
  undo.rollback();
  assert.equal(await store.has(other), true);
});

test('no temporary file is left behind by puts that found their blob', async () => {
  await store.put('dedupe me');
  await store.put('dedupe me');
  assert.deepEqual(await readdir(path.join(root, 'tmp')), []);
});
