/**
 * The behaviour every blob store must have (engine/blob/store.ts), as test suites run against each
 * implementation: the file-system store (test/unit/blob-store.test.ts, blob-undo.test.ts) and the S3 store
 * on a real S3 endpoint (test/engine/s3-blob-store.test.ts). Streaming puts, dedupe, sniffing, ranges,
 * missing blobs, nothing left behind by a failing source, and undo logs.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { FsBlobStore } from '../../engine/blob/fs-store.ts';
import type { BlobStore } from '../../engine/blob/store.ts';
import { TesseraError } from '../../engine/errors.ts';

export interface StoreUnderTest {
  store: BlobStore;
  /** The stored blobs as `<aa>/<sha256>` (relative to the folder or key prefix), temporaries excluded. */
  blobs(): Promise<string[]>;
  /** Whatever a put leaves while it runs: temporary files or objects, open multipart uploads. */
  temps(): Promise<string[]>;
}

export interface BlobStoreHarness {
  /** Its name in test titles ("fs", "s3"). */
  label: string;
  /** A new, empty store of its own (a folder, a key prefix). */
  fresh(name: string): Promise<StoreUnderTest>;
  /** A put larger than this takes the large-object path (S3: multipart upload and copy). */
  partSize: number;
}

/** A store in a sub-folder of its own, with its blob files and its temporary files. */
export function fsStoreUnderTest(dir: string): StoreUnderTest & { store: FsBlobStore } {
  const store = new FsBlobStore(dir);
  return {
    store,
    async blobs() {
      const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
      return entries
        .filter((e) => e.isFile())
        .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
        .filter((p) => !p.startsWith('tmp/'))
        .sort();
    },
    temps: () => readdir(path.join(dir, 'tmp')).catch(() => []),
  };
}

export const sha = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');
export const blobPath = (sha256: string): string => `${sha256.slice(0, 2)}/${sha256}`;

export async function readStream(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Deterministic "random" bytes (a hash chain), so the tests never depend on luck. */
export function noise(size: number, seed = 'tessera-noise'): Buffer {
  const parts: Buffer[] = [];
  let block = createHash('sha256').update(seed).digest();
  for (let n = 0; n < size; n += block.length) {
    parts.push(block);
    block = createHash('sha256').update(block).digest();
  }
  return Buffer.concat(parts).subarray(0, size);
}

/** `bytes` as a stream of `chunk`-sized pieces. */
const chunked = (bytes: Buffer, chunk = 64 * 1024) => Readable.from(Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk)));

// ---- a PNG written by hand: signature, IHDR, IDAT, IEND with real CRCs ----------------------------
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
export function tinyPng(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0); // width
  ihdr.writeUInt32BE(1, 4); // height
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  const pixel = Buffer.from([0, 255, 0, 0]); // filter byte + one red pixel
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(pixel)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Puts, reads, dedupe, sniffing, ranges, missing blobs and failing sources. */
export function blobStoreSuite(h: BlobStoreHarness): void {
  const named = (title: string) => `${h.label}: ${title}`;

  test(named('put from a string, a Buffer and a stream gives the sha256, size and name'), async () => {
    const { store } = await h.fresh('kinds');
    const text = 'hello, blob store\n';
    const fromString = await store.put(text, { name: 'hello.txt' });
    assert.deepEqual(fromString, { sha256: sha(text), mime: 'text/plain', size: Buffer.byteLength(text), name: 'hello.txt' });

    const bytes = noise(10_000);
    const fromBuffer = await store.put(bytes);
    assert.equal(fromBuffer.sha256, sha(bytes));
    assert.equal(fromBuffer.size, 10_000);
    assert.equal('name' in fromBuffer, false);

    // A stream of many chunks, larger than the sniffing window.
    const big = noise(300_000);
    const fromStream = await store.put(chunked(big, 10_000), { name: 'big.bin' });
    assert.equal(fromStream.sha256, sha(big));
    assert.equal(fromStream.size, big.length);
    assert.deepEqual(await store.readAll(fromStream), big);
    assert.deepEqual(await readStream(await store.get(fromStream)), big);
    assert.deepEqual(await store.stat(fromStream), { size: big.length });
    assert.equal(await store.has(fromStream), true);

    const empty = await store.put('');
    assert.deepEqual(empty, { sha256: sha(''), mime: 'text/plain', size: 0 });
    assert.deepEqual(await store.stat(empty), { size: 0 });
    assert.equal((await store.readAll(empty)).length, 0);
    assert.equal((await readStream(await store.get(empty, { start: 0, end: 4099 }))).length, 0);
  });

  test(named('a stream of several parts is stored whole, and ranges across part boundaries read back'), async () => {
    const { store, blobs, temps } = await h.fresh('parts');
    const size = 2 * h.partSize + 12_345;
    const bytes = noise(size, 'several parts');
    const ref = await store.put(chunked(bytes), { name: 'parts.bin' });
    assert.deepEqual(ref, { sha256: sha(bytes), mime: 'application/octet-stream', size, name: 'parts.bin' });
    assert.deepEqual(await blobs(), [blobPath(ref.sha256)]);
    assert.deepEqual(await temps(), []);
    for (const [start, end] of [
      [h.partSize - 3, h.partSize + 2],
      [2 * h.partSize - 1, 2 * h.partSize],
      [size - 10, size - 1],
    ]) {
      assert.deepEqual(await readStream(await store.get(ref, { start, end })), bytes.subarray(start, end + 1), `bytes ${start}-${end}`);
    }
    assert.equal(sha(await readStream(await store.get(ref))), ref.sha256);
    // The same bytes again, from a Buffer this time: found, not stored twice.
    assert.deepEqual(await store.put(bytes), { sha256: ref.sha256, mime: 'application/octet-stream', size });
    assert.deepEqual(await blobs(), [blobPath(ref.sha256)]);
    assert.deepEqual(await temps(), []);
  });

  test(named('the same bytes stored three ways are one blob'), async () => {
    const { store, blobs } = await h.fresh('dedupe');
    const content = JSON.stringify({ a: 1, list: [1, 2, 3] });
    const a = await store.put(content);
    const b = await store.put(Buffer.from(content));
    const c = await store.put(Readable.from([Buffer.from(content.slice(0, 5)), Buffer.from(content.slice(5))]), { name: 'x.json' });
    assert.equal(a.sha256, b.sha256);
    assert.equal(b.sha256, c.sha256);
    assert.deepEqual(await blobs(), [blobPath(a.sha256)]);
    await store.put('something else');
    assert.equal((await blobs()).length, 2);
  });

  test(named('puts of the same bytes at the same time store one blob'), async () => {
    const { store, blobs, temps } = await h.fresh('concurrent');
    const small = noise(50_000, 'concurrent small');
    const large = noise(h.partSize + 1000, 'concurrent large');
    const refs = await Promise.all([store.put(small), store.put(chunked(small)), store.put(large), store.put(chunked(large)), store.put(small)]);
    assert.deepEqual(new Set(refs.map((r) => r.sha256)), new Set([sha(small), sha(large)]));
    assert.deepEqual(await blobs(), [blobPath(sha(small)), blobPath(sha(large))].sort());
    assert.deepEqual(await temps(), []);
  });

  test(named('the media type comes from the bytes, not the name or a declared type'), async () => {
    const { store } = await h.fresh('sniff');
    const png = await store.put(tinyPng(), { name: 'notes.txt', mime: 'text/plain' });
    assert.equal(png.mime, 'image/png');
    assert.equal(png.name, 'notes.txt');

    const json = await store.put('  \n{ "patient": { "name": "Ana" } }', { name: 'photo.png' });
    assert.equal(json.mime, 'application/json');
    assert.equal((await store.put('[1, 2, 3]')).mime, 'application/json');

    assert.equal((await store.put('Plain words, ünïcödé too.', { name: 'data.json' })).mime, 'text/plain');

    const random = await store.put(noise(4096), { name: 'picture.jpg' });
    assert.equal(random.mime, 'application/octet-stream');
    // A large PNG-headed stream is sniffed from its first bytes as well.
    const largePng = await store.put(chunked(Buffer.concat([tinyPng(), noise(h.partSize + 10, 'png tail')])));
    assert.equal(largePng.mime, 'image/png');
  });

  test(named('a declared type is used only when sniffing finds nothing'), async () => {
    const { store } = await h.fresh('declared');
    const unknown = await store.put(noise(2048), { mime: 'application/x-tessera-test' });
    assert.equal(unknown.mime, 'application/x-tessera-test');
    const png = await store.put(tinyPng(), { mime: 'application/x-tessera-test' });
    assert.equal(png.mime, 'image/png');
  });

  test(named('range get returns the bytes from start to end inclusive'), async () => {
    const { store } = await h.fresh('range');
    const ref = await store.put('abcdefghij');
    assert.equal((await readStream(await store.get(ref, { start: 2, end: 4 }))).toString(), 'cde');
    assert.equal((await readStream(await store.get(ref, { start: 7 }))).toString(), 'hij');
    assert.equal((await readStream(await store.get(ref, { start: 0, end: 0 }))).toString(), 'a');
    assert.equal((await readStream(await store.get(ref, { start: 8, end: 99 }))).toString(), 'ij');
    assert.equal((await readStream(await store.get(ref, { start: 10 }))).toString(), '');
    assert.equal((await readStream(await store.get(ref))).toString(), 'abcdefghij');
  });

  test(named('an unknown hash is BLOB_NOT_FOUND'), async () => {
    const { store } = await h.fresh('missing');
    const ref = { sha256: sha('never stored') };
    const isNotFound = (err: unknown) => err instanceof TesseraError && err.code === 'BLOB_NOT_FOUND' && err.message.includes(ref.sha256);
    await assert.rejects(store.get(ref), isNotFound);
    await assert.rejects(store.get(ref, { start: 0, end: 10 }), isNotFound);
    await assert.rejects(store.readAll(ref), isNotFound);
    assert.equal(await store.has(ref), false);
    assert.equal(await store.stat(ref), undefined);
    // Something that is not a hash at all is never looked up.
    await assert.rejects(store.get({ sha256: '../../../etc/passwd' }), { code: 'BLOB_NOT_FOUND' });
    await assert.rejects(store.readAll({ sha256: 'ABC' }), { code: 'BLOB_NOT_FOUND' });
    assert.equal(await store.has({ sha256: 'tmp/x' }), false);
  });

  test(named('nothing is left behind, after success or a failing stream, small or large'), async () => {
    const { store, blobs, temps } = await h.fresh('clean');
    await store.put('one');
    await store.put(Buffer.from('two'));
    await store.put(Readable.from([Buffer.from('three')]));
    await store.put('one'); // a dedupe put too
    assert.deepEqual(await temps(), []);

    async function* broken(bytes: number) {
      for (let sent = 0; sent < bytes; sent += 256 * 1024) yield noise(256 * 1024, `broken ${sent}`);
      throw new Error('the source broke');
    }
    await assert.rejects(store.put(Readable.from(broken(256 * 1024))), /the source broke/);
    // Broken after more than two parts were sent (S3: a multipart upload under way, to be aborted).
    await assert.rejects(store.put(Readable.from(broken(2 * h.partSize + 512 * 1024))), /the source broke/);
    assert.deepEqual(await temps(), []);
    assert.equal((await blobs()).length, 3);
    assert.equal(await store.has({ sha256: sha(noise(256 * 1024, 'broken 0')) }), false);
  });
}

/**
 * Undo logs (engine/blob/undo-log.ts): a refused request deletes the blobs it created, and never a blob that
 * existed before it or that someone else stored meanwhile (content-addressed dedupe).
 */
export function blobUndoSuite(h: BlobStoreHarness): void {
  const named = (title: string) => `${h.label} undo: ${title}`;

  test(named('rollback deletes what the request created; commit keeps it'), async () => {
    const { store, blobs } = await h.fresh('undo-rollback');
    const refused = store.undoLog();
    const a = await store.put('created by a refused request', { undo: refused });
    const again = await store.put('created by a refused request', { undo: refused }); // the same request, twice
    assert.equal(again.sha256, a.sha256);
    const large = await store.put(chunked(noise(h.partSize + 1, 'large refused')), { undo: refused });
    refused.rollback();
    assert.equal(await store.has(a), false);
    assert.equal(await store.has(large), false);
    await assert.rejects(store.get(large), { code: 'BLOB_NOT_FOUND' });

    const accepted = store.undoLog();
    const b = await store.put('created by an accepted request', { undo: accepted });
    accepted.commit();
    accepted.rollback(); // too late: a closed log does nothing
    assert.equal(await store.has(b), true);
    assert.deepEqual(await blobs(), [blobPath(b.sha256)]);
  });

  test(named('a blob that existed before the request is never deleted'), async () => {
    const { store } = await h.fresh('undo-before');
    const before = await store.put('uploaded earlier by someone else');
    const undo = store.undoLog();
    await store.put('uploaded earlier by someone else', { undo });
    undo.rollback();
    assert.equal(await store.has(before), true);
  });

  test(named('a blob someone else stored while the request was open is kept'), async () => {
    const { store } = await h.fresh('undo-meanwhile');
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

  test(named('a put racing a rollback of the same bytes ends with the blob stored'), async () => {
    const { store } = await h.fresh('undo-race');
    for (const bytes of [Buffer.from('raced small bytes'), noise(h.partSize + 100, 'raced large bytes')]) {
      const undo = store.undoLog();
      const ref = await store.put(bytes, { undo });
      const racing = store.put(chunked(bytes)); // a worker storing the same output, no log
      undo.rollback();
      assert.equal((await racing).sha256, ref.sha256);
      assert.equal(await store.has(ref), true, 'the racing put relies on it');
      assert.deepEqual(await store.readAll(ref), bytes);
    }
  });

  test(named('a rolled-back blob can be stored again at once'), async () => {
    const { store } = await h.fresh('undo-again');
    const undo = store.undoLog();
    const ref = await store.put('stored, rolled back, stored again', { undo });
    undo.rollback();
    await store.put('stored, rolled back, stored again');
    assert.equal(await store.has(ref), true);
  });

  test(named('no temporary is left behind by puts that found their blob'), async () => {
    const { store, temps } = await h.fresh('undo-temps');
    await store.put('dedupe me');
    await store.put('dedupe me');
    await store.put(chunked(noise(h.partSize + 5, 'dedupe me large')));
    await store.put(chunked(noise(h.partSize + 5, 'dedupe me large')));
    assert.deepEqual(await temps(), []);
  });
}
