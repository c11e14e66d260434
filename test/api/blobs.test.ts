/**
 * Uploads and downloads through the HTTP API: raw and multipart uploads, media types sniffed from the
 * bytes, dedupe, `?kind=`, Range requests, coded 4xx answers, the size limit (nothing left behind after a
 * 413 or an interrupted upload) and a 30 MB upload that streams to disk without growing the process.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { after, before, describe, test } from 'node:test';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';
import { wavBytes } from '../support/fixtures.ts';

const PNG = readFileSync(new URL('../fixtures/pixel.png', import.meta.url));
const MB = 1024 * 1024;
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Every file under the blob store (blobs and temp files), relative to its root. */
function storedFiles(env: ApiEnv): string[] {
  const root = path.join(env.dir, 'blobs');
  try {
    return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(path.join(root, f)).isFile());
  } catch {
    return [];
  }
}

function upload(env: ApiEnv, bytes: Uint8Array | string, query = '', contentType = 'application/octet-stream') {
  return env.request('POST', `/api/v1/blobs${query}`, { body: bytes, headers: { 'content-type': contentType } });
}

function uploadForm(env: ApiEnv, bytes: Buffer, filename: string, type = 'application/octet-stream', field = 'file') {
  const form = new FormData();
  form.append(field, new Blob([new Uint8Array(bytes)], { type }), filename);
  return env.request('POST', '/api/v1/blobs', { body: form });
}

async function download(env: ApiEnv, sha256: string, headers: Record<string, string> = {}, method = 'GET') {
  const response = await fetch(`${env.url}/api/v1/blobs/${sha256}`, { method, headers });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

describe('blobs', () => {
  let env: ApiEnv;
  before(async () => {
    env = await startApiEnv();
  });
  after(async () => env?.close());

  test('a raw upload answers 201 with its reference and downloads byte for byte', async () => {
    const bytes = Buffer.from('Ward round notes: all stable.\n');
    const { status, json } = await upload(env, bytes, '?name=notes.txt');
    assert.equal(status, 201);
    assert.deepEqual(json, { sha256: sha(bytes), mime: 'text/plain', size: bytes.length, name: 'notes.txt' });

    const got = await download(env, json.sha256);
    assert.equal(got.status, 200);
    assert.deepEqual(got.bytes, bytes);
    assert.equal(got.headers.get('content-type'), 'text/plain');
    assert.equal(got.headers.get('content-length'), String(bytes.length));
    assert.equal(got.headers.get('etag'), `"${json.sha256}"`);
    assert.equal(got.headers.get('accept-ranges'), 'bytes');
    assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
  });

  test('the media type is sniffed from the bytes, not taken from the request', async () => {
    const png = await upload(env, PNG, '', 'text/plain');
    assert.equal(png.status, 201);
    assert.equal(png.json.mime, 'image/png');
    assert.equal((await download(env, png.json.sha256)).headers.get('content-type'), 'image/png');

    const audio = await upload(env, wavBytes(), '', 'image/jpeg');
    assert.equal(audio.json.mime, 'audio/wav');
    // JSON and text bodies are uploads like any other (stored, not parsed).
    const json = await upload(env, '{"not": "parsed"', '', 'application/json');
    assert.equal(json.status, 201);
    assert.equal(json.json.mime, 'application/json');
  });

  test('a multipart file field is stored under its filename, and equal bytes are stored once', async () => {
    const before = storedFiles(env).length;
    const form = await uploadForm(env, PNG, 'scans/xray.png', 'text/plain');
    assert.equal(form.status, 201);
    assert.deepEqual(form.json, { sha256: sha(PNG), mime: 'image/png', size: PNG.length, name: 'xray.png' });

    const again = await upload(env, PNG, '?name=other.png');
    assert.equal(again.json.sha256, form.json.sha256);
    assert.equal(again.json.name, 'other.png');
    assert.equal(storedFiles(env).length, before, 'the PNG was already stored by the previous test');
    assert.equal(storedFiles(env).filter((f) => f.endsWith(sha(PNG))).length, 1);

    const named = await uploadForm(env, Buffer.from('x'), 'a.txt');
    assert.equal(named.status, 201);
    assert.equal(named.json.name, 'a.txt');
  });

  test('?kind= refuses bytes of another kind with 415 and stores nothing', async () => {
    const before = storedFiles(env);
    const refused = await upload(env, 'just some text, not a picture', '?kind=image');
    assert.equal(refused.status, 415);
    assert.equal(refused.json.error.code, 'UNSUPPORTED_MEDIA');
    const wavRefused = await upload(env, wavBytes(4000), '?kind=image');
    assert.equal(wavRefused.status, 415);
    assert.equal(wavRefused.json.error.details.mime, 'audio/wav');
    assert.deepEqual(storedFiles(env), before);

    assert.equal((await upload(env, wavBytes(), '?kind=audio')).status, 201);
    assert.equal((await upload(env, PNG, '?kind=image')).status, 201);
    assert.equal((await upload(env, PNG, '?kind=document')).status, 201);
    assert.equal((await upload(env, 'plain text', '?kind=document')).status, 201);
    assert.equal((await upload(env, PNG, '?kind=video')).json.error.code, 'REQUEST_INVALID');
  });

  test('Range requests answer 206 with exactly those bytes, 416 when unsatisfiable', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const { json } = await upload(env, bytes);
    const cases: [string, number, number][] = [
      ['bytes=0-0', 0, 0],
      ['bytes=10-19', 10, 19],
      ['bytes=250-', 250, 255],
      ['bytes=-6', 250, 255],
      ['bytes=200-9999', 200, 255],
    ];
    for (const [range, start, end] of cases) {
      const got = await download(env, json.sha256, { range });
      assert.equal(got.status, 206, range);
      assert.deepEqual(got.bytes, bytes.subarray(start, end + 1), range);
      assert.equal(got.headers.get('content-range'), `bytes ${start}-${end}/256`, range);
      assert.equal(got.headers.get('content-length'), String(end - start + 1), range);
    }
    const outside = await download(env, json.sha256, { range: 'bytes=256-' });
    assert.equal(outside.status, 416);
    assert.equal(outside.headers.get('content-range'), 'bytes */256');
    assert.equal(JSON.parse(outside.bytes.toString()).error.code, 'REQUEST_INVALID');
    // A header we cannot use is ignored: the whole blob.
    assert.equal((await download(env, json.sha256, { range: 'lines=1-2' })).status, 200);

    const head = await download(env, json.sha256, {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), '256');
    assert.equal(head.bytes.length, 0);
    assert.equal((await download(env, json.sha256, { 'if-none-match': `"${json.sha256}"` })).status, 304);
  });

  test('unknown or malformed hashes answer a coded 404', async () => {
    for (const id of ['0'.repeat(64), sha(PNG).toUpperCase(), 'xyz', '..%2F..%2Fetc%2Fpasswd', '%00']) {
      const { status, json } = await env.request('GET', `/api/v1/blobs/${id}`);
      assert.equal(status, 404, id);
      assert.equal(json.error.code, 'BLOB_NOT_FOUND', id);
    }
    assert.equal((await download(env, '0'.repeat(64), {}, 'HEAD')).status, 404);
  });

  test('an empty upload is refused with 400 and stores nothing', async () => {
    const before = storedFiles(env);
    for (const response of [await upload(env, ''), await env.request('POST', '/api/v1/blobs'), await uploadForm(env, Buffer.alloc(0), 'empty.bin')]) {
      assert.equal(response.status, 400);
      assert.equal(response.json.error.code, 'REQUEST_INVALID');
    }
    const noFile = new FormData();
    noFile.append('note', 'no file here');
    assert.equal((await env.request('POST', '/api/v1/blobs', { body: noFile })).json.error.code, 'REQUEST_INVALID');
    assert.deepEqual(storedFiles(env), before);
  });

  test('a 30 MB upload streams to disk while the process memory stays flat', async (t) => {
    const gc = exposeGc();
    const size = 30 * MB;
    const tmpDir = path.join(env.dir, 'blobs', 'tmp');
    const tempBytes = () => readdirSync(tmpDir).reduce((sum, f) => sum + (statSync(path.join(tmpDir, f), { throwIfNoEntry: false })?.size ?? 0), 0);

    // Bytes sent so far; at half way the client waits until the server has written >= 10 MB to its temp
    // file: proof that the upload goes to disk as it arrives (a buffering server would never get there).
    async function* body(fill: number, checkHalfway: boolean) {
      const chunk = Buffer.alloc(256 * 1024, fill);
      for (let sent = 0; sent < size; sent += chunk.length) {
        if (checkHalfway && sent === size / 2) {
          const deadline = Date.now() + 60_000;
          while (tempBytes() < 10 * MB) {
            if (Date.now() > deadline) throw new Error(`only ${tempBytes()} bytes reached the disk after 15 MB were sent`);
            await sleep(20);
          }
        }
        yield chunk;
      }
    }
    const send = (fill: number, checkHalfway: boolean) =>
      fetch(`${env.url}/api/v1/blobs?name=big.bin`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: Readable.toWeb(Readable.from(body(fill, checkHalfway))) as ReadableStream,
        duplex: 'half',
      } as RequestInit);

    // Warm-up of the same size: the allocator and V8's young generation grow once, on the first large
    // transfer in a process, whatever the server does with the bytes; that growth is not what is measured.
    assert.equal((await send(1, false)).status, 201);

    gc();
    const before = process.memoryUsage().rss;
    let peak = before;
    // Minor GCs keep the garbage of finished chunks from piling up until V8 would collect it anyway.
    const sampler = setInterval(() => {
      gc(true);
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    let response: Response;
    try {
      response = await send(2, true);
    } catch (err) {
      throw (err as Error).cause ?? err; // fetch's "fetch failed" hides the halfway check's message
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const ref = await response.json();
    assert.equal(response.status, 201, JSON.stringify(ref));
    assert.equal(ref.size, size);
    assert.equal(ref.sha256, sha(Buffer.alloc(size, 2)));
    const growth = peak - before;
    t.diagnostic(`rss growth during the upload: ${(growth / MB).toFixed(1)} MB`);
    assert.ok(growth < 30 * MB, `rss grew by ${(growth / MB).toFixed(1)} MB during a 30 MB upload`);
  });
});

describe('blobs with a small upload limit', () => {
  const LIMIT = 64 * 1024;
  let env: ApiEnv;
  before(async () => {
    env = await startApiEnv({ maxUploadBytes: LIMIT });
  });
  after(async () => env?.close());

  test('oversized uploads answer 413 and leave no blob and no temp file', async () => {
    const big = Buffer.alloc(LIMIT + 1, 7);
    const raw = await upload(env, big);
    assert.equal(raw.status, 413);
    assert.equal(raw.json.error.code, 'PAYLOAD_TOO_LARGE');
    const form = await uploadForm(env, big, 'big.bin');
    assert.equal(form.status, 413);
    assert.equal(form.json.error.code, 'PAYLOAD_TOO_LARGE');
    const much = await upload(env, Buffer.alloc(8 * MB, 1));
    assert.equal(much.status, 413);
    assert.deepEqual(storedFiles(env), []);

    // The connection is still usable, and exactly the limit is accepted.
    const exact = await upload(env, Buffer.alloc(LIMIT, 7));
    assert.equal(exact.status, 201);
    assert.equal(exact.json.size, LIMIT);
  });

  test('an upload the client abandons half way leaves no temp file', async () => {
    const before = storedFiles(env);
    const controller = new AbortController();
    async function* body() {
      yield Buffer.alloc(16 * 1024, 3);
      await sleep(200); // let the server start writing the temp file
      controller.abort();
      yield Buffer.alloc(16 * 1024, 3);
    }
    await assert.rejects(
      fetch(`${env.url}/api/v1/blobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: Readable.toWeb(Readable.from(body())) as ReadableStream,
        duplex: 'half',
        signal: controller.signal,
      } as RequestInit),
    );
    const deadline = Date.now() + 30_000;
    while (storedFiles(env).length !== before.length && Date.now() < deadline) await sleep(50);
    assert.deepEqual(storedFiles(env), before);
  });
});

/** `gc()` (and `gc(true)`: a cheap minor GC) without the --expose-gc flag on the test runner's command line. */
function exposeGc(): (minor?: boolean) => void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as (options?: { type: 'major' | 'minor'; execution: 'sync' }) => void;
  return (minor) => gc(minor ? { type: 'minor', execution: 'sync' } : undefined);
}
