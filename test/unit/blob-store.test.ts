/** FsBlobStore in a temporary folder: streaming puts, dedupe, sniffing, ranges, missing blobs. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { deflateSync } from 'node:zlib';
import { TesseraError } from '../../engine/errors.ts';
import { FsBlobStore } from '../../engine/blob/fs-store.ts';

let root: string;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'tessera-blobs-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh store in its own sub-folder, so file counts are per test. */
async function freshStore(name: string): Promise<FsBlobStore> {
  return new FsBlobStore(path.join(root, name));
}

const sha = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

async function readStream(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Every stored blob file (everything but the tmp folder). */
async function blobFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter((p) => !p.startsWith(`tmp${path.sep}`));
}

async function tmpFiles(dir: string): Promise<string[]> {
  return readdir(path.join(dir, 'tmp')).catch(() => []);
}

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
function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
function tinyPng(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0); // width
  ihdr.writeUInt32BE(1, 4); // height
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  const pixel = Buffer.from([0, 255, 0, 0]); // filter byte + one red pixel
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(pixel)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Deterministic "random" bytes (a hash chain), so the test never depends on luck. */
function noise(size: number): Buffer {
  const parts: Buffer[] = [];
  let block = createHash('sha256').update('tessera-noise').digest();
  for (let n = 0; n < size; n += block.length) {
    parts.push(block);
    block = createHash('sha256').update(block).digest();
  }
  return Buffer.concat(parts).subarray(0, size);
}

test('put from a string, a Buffer and a stream gives the sha256, size and name', async () => {
  const store = await freshStore('kinds');
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
  const chunks = Array.from({ length: 30 }, (_, i) => big.subarray(i * 10_000, (i + 1) * 10_000));
  const fromStream = await store.put(Readable.from(chunks), { name: 'big.bin' });
  assert.equal(fromStream.sha256, sha(big));
  assert.equal(fromStream.size, big.length);
  assert.deepEqual(await store.readAll(fromStream), big);
  assert.deepEqual(await readStream(await store.get(fromStream)), big);
  assert.deepEqual(await store.stat(fromStream), { size: big.length });
  assert.equal(await store.has(fromStream), true);
  // Stored where pathOf says, under a two-character fan-out folder.
  assert.equal(path.relative(store.root, store.pathOf(fromStream.sha256)), path.join(fromStream.sha256.slice(0, 2), fromStream.sha256));
  assert.equal((await stat(store.pathOf(fromStream.sha256))).size, big.length);
});

test('the same bytes stored three ways are one blob in one file', async () => {
  const dedupe = await freshStore('dedupe');
  const content = JSON.stringify({ a: 1, list: [1, 2, 3] });
  const a = await dedupe.put(content);
  const b = await dedupe.put(Buffer.from(content));
  const c = await dedupe.put(Readable.from([Buffer.from(content.slice(0, 5)), Buffer.from(content.slice(5))]), { name: 'x.json' });
  assert.equal(a.sha256, b.sha256);
  assert.equal(b.sha256, c.sha256);
  assert.deepEqual(await blobFiles(dedupe.root), [path.join(a.sha256.slice(0, 2), a.sha256)]);
  await dedupe.put('something else');
  assert.equal((await blobFiles(dedupe.root)).length, 2);
});

test('the media type comes from the bytes, not the name or a declared type', async () => {
  const sniff = await freshStore('sniff');
  const png = await sniff.put(tinyPng(), { name: 'notes.txt', mime: 'text/plain' });
  assert.equal(png.mime, 'image/png');
  assert.equal(png.name, 'notes.txt');

  const json = await sniff.put('  \n{ "patient": { "name": "Ana" } }', { name: 'photo.png' });
  assert.equal(json.mime, 'application/json');
  assert.equal((await sniff.put('[1, 2, 3]')).mime, 'application/json');

  assert.equal((await sniff.put('Plain words, ünïcödé too.', { name: 'data.json' })).mime, 'text/plain');

  const random = await sniff.put(noise(4096), { name: 'picture.jpg' });
  assert.equal(random.mime, 'application/octet-stream');
});

test('a declared type is used only when sniffing finds nothing', async () => {
  const declared = await freshStore('declared');
  const unknown = await declared.put(noise(2048), { mime: 'application/x-tessera-test' });
  assert.equal(unknown.mime, 'application/x-tessera-test');
  const png = await declared.put(tinyPng(), { mime: 'application/x-tessera-test' });
  assert.equal(png.mime, 'image/png');
});

test('range get returns the bytes from start to end inclusive', async () => {
  const ranged = await freshStore('range');
  const ref = await ranged.put('abcdefghij');
  assert.equal((await readStream(await ranged.get(ref, { start: 2, end: 4 }))).toString(), 'cde');
  assert.equal((await readStream(await ranged.get(ref, { start: 7 }))).toString(), 'hij');
  assert.equal((await readStream(await ranged.get(ref, { start: 0, end: 0 }))).toString(), 'a');
  assert.equal((await readStream(await ranged.get(ref))).toString(), 'abcdefghij');
});

test('an unknown hash is BLOB_NOT_FOUND', async () => {
  const missing = await freshStore('missing');
  const ref = { sha256: sha('never stored') };
  const isNotFound = (err: unknown) => err instanceof TesseraError && err.code === 'BLOB_NOT_FOUND' && err.message.includes(ref.sha256);
  await assert.rejects(missing.get(ref), isNotFound);
  await assert.rejects(missing.readAll(ref), isNotFound);
  assert.equal(await missing.has(ref), false);
  assert.equal(await missing.stat(ref), undefined);
  // Something that is not a hash at all never reaches the file system.
  await assert.rejects(missing.get({ sha256: '../../../etc/passwd' }), { code: 'BLOB_NOT_FOUND' });
  await assert.rejects(missing.readAll({ sha256: 'ABC' }), { code: 'BLOB_NOT_FOUND' });
});

test('no temporary files are left behind, after success or a failing stream', async () => {
  const clean = await freshStore('clean');
  await clean.put('one');
  await clean.put(Buffer.from('two'));
  await clean.put(Readable.from([Buffer.from('three')]));
  await clean.put('one'); // a dedupe put too
  assert.deepEqual(await tmpFiles(clean.root), []);

  async function* broken() {
    yield Buffer.from('the first chunk arrives');
    throw new Error('the source broke');
  }
  await assert.rejects(clean.put(Readable.from(broken())), /the source broke/);
  assert.deepEqual(await tmpFiles(clean.root), []);
  assert.equal((await blobFiles(clean.root)).length, 3);
  assert.equal(await clean.has({ sha256: sha('the first chunk arrives') }), false);
});
