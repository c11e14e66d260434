/**
 * The API and its worker with blobs on S3 (TESSERA_BLOB_URL on moto's server, started for this file):
 * uploads through POST /blobs land in the bucket (a 12 MB one as a multipart upload), downloads and
 * Range requests read from it, a pipeline run streams its input from S3 in the worker and writes its
 * outputs there (a blob passed on, a large value spilled), and refused requests (an upload over the limit,
 * a multipart run with an unknown input) leave nothing in the bucket.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { TesseraClient } from '../../engine/api/client/client.ts';
import { checkBlobStore, openBlobStore } from '../../engine/blob/open-blob-store.ts';
import { S3BlobStore } from '../../engine/blob/s3-store.ts';
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import { isSpilled } from '../../engine/worker/spill.ts';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';
import { savePipeline } from '../support/api-runs.ts';
import { startMoto, type Moto } from '../support/moto.ts';

const MB = 1024 * 1024;
const BUCKET = 'tessera-api';
const PREFIX = 'team/blobs/';
const LIMIT = 32 * MB;
const sha = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

let moto: Moto;
let blobs: S3BlobStore;
let env: ApiEnv;

before(async () => {
  moto = await startMoto();
  await moto.createBucket(BUCKET);
  // As `tessera dev` / `serve` / `worker` open it: TESSERA_BLOB_URL plus the standard AWS variables.
  Object.assign(process.env, moto.env, { TESSERA_BLOB_URL: `s3://${BUCKET}/${PREFIX}` });
  const opened = await openBlobStore({ blobUrl: process.env.TESSERA_BLOB_URL, fsRoot: '/nonexistent' });
  await checkBlobStore(opened);
  assert.ok(opened instanceof S3BlobStore);
  blobs = opened;
  env = await startApiEnv({ blobs, maxUploadBytes: LIMIT });
});
after(async () => {
  await env?.close();
  await blobs?.close();
  await moto?.stop();
});

/** Every object under the prefix, temporaries included, once rolled-back blobs are deleted. */
async function objects(): Promise<string[]> {
  await blobs.settled();
  return moto.keys(BUCKET, PREFIX);
}

/** A text file of `bytes` that is not one repeated byte. */
function textFile(bytes: number, seed: string): Buffer {
  return Buffer.from(`${seed}\n${'All stable on the ward round. '.repeat(Math.ceil(bytes / 30))}`.slice(0, bytes));
}

function streamed(bytes: Buffer, chunk = 256 * 1024) {
  return Readable.toWeb(Readable.from(Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk)))) as ReadableStream;
}

async function upload(bytes: Buffer, name: string): Promise<Response> {
  return fetch(`${env.url}/api/v1/blobs?name=${name}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: streamed(bytes), duplex: 'half' } as RequestInit);
}

test('a 12 MB upload lands in the bucket at its content key and downloads whole and by range', async () => {
  const bytes = textFile(12 * MB, 'twelve');
  const response = await upload(bytes, 'notes.txt');
  const ref = await response.json();
  assert.equal(response.status, 201, JSON.stringify(ref));
  assert.deepEqual(ref, { sha256: sha(bytes), mime: 'text/plain', size: bytes.length, name: 'notes.txt' });
  assert.deepEqual(await objects(), [`${PREFIX}${ref.sha256.slice(0, 2)}/${ref.sha256}`]);

  const whole = await fetch(`${env.url}/api/v1/blobs/${ref.sha256}`);
  assert.equal(whole.status, 200);
  assert.equal(whole.headers.get('content-type'), 'text/plain');
  assert.deepEqual(Buffer.from(await whole.arrayBuffer()), bytes);
  const start = 8 * MB - 10;
  const part = await fetch(`${env.url}/api/v1/blobs/${ref.sha256}`, { headers: { range: `bytes=${start}-${start + 19}` } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes ${start}-${start + 19}/${bytes.length}`);
  assert.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(start, start + 20));
  const suffix = await fetch(`${env.url}/api/v1/blobs/${ref.sha256}`, { headers: { range: 'bytes=-64' } });
  assert.deepEqual(Buffer.from(await suffix.arrayBuffer()), bytes.subarray(bytes.length - 64));
  assert.equal((await fetch(`${env.url}/api/v1/blobs/${'0'.repeat(64)}`)).status, 404);

  // The same bytes again: the same reference, still one object.
  const again = await upload(bytes, 'copy.txt');
  assert.equal((await again.json()).sha256, ref.sha256);
  assert.equal((await objects()).length, 1);
});

test('a run reads its input from S3 in the worker and writes its outputs there; they download through the API', async () => {
  const pipeline: Pipeline = {
    format: 'tessera.pipeline/v1',
    name: 's3-digest',
    nodes: [
      { id: 'doc', type: 'input', params: { name: 'file', kind: 'document' } },
      { id: 'hash', type: 'test-digest', params: {} },
      { id: 'big', type: 'test-big-text', params: { bytes: 300_000 } },
      { id: 'sha', type: 'output', params: { name: 'sha256' } },
      { id: 'same', type: 'output', params: { name: 'file' } },
      { id: 'long', type: 'output', params: { name: 'long' } },
    ],
    edges: [
      { from: 'doc.value', to: 'hash.file' },
      { from: 'hash.sha256', to: 'sha.value' },
      { from: 'hash.file', to: 'same.value' },
      { from: 'big.text', to: 'long.value' },
    ],
  };
  const pipelineId = await savePipeline(env, pipeline);
  const bytes = textFile(9 * MB, 'digest me');
  const ref = await (await upload(bytes, 'scan.txt')).json();

  const response = await env.request('POST', `/api/v1/pipelines/${pipelineId}/runs?wait=120`, { body: { inputs: { file: ref } } });
  assert.equal(response.status, 200, response.text.slice(0, 500));
  const run = response.json;
  assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
  assert.equal(run.outputs.sha256, sha(bytes), 'the worker streamed the input from the bucket');
  assert.equal(run.outputs.file.sha256, ref.sha256);
  const file = await fetch(`${env.url}/api/v1/blobs/${run.outputs.file.sha256}`);
  assert.deepEqual(Buffer.from(await file.arrayBuffer()), bytes);

  // The 300 kB text was spilled by the worker into the bucket; the API serves it from there.
  const got = await env.request('GET', `/api/v1/runs/${run.id}`);
  assert.ok(isSpilled(got.json.outputs.long), JSON.stringify(got.json.outputs.long).slice(0, 200));
  const spilled = got.json.outputs.long.$spilled.sha256;
  assert.ok((await objects()).includes(`${PREFIX}${spilled.slice(0, 2)}/${spilled}`));
  const values = await new TesseraClient({ server: env.url }).resolveValues(got.json.outputs);
  assert.equal(values.long, 'abcdefghij'.repeat(30_000));
});

test('refused requests leave nothing in the bucket: an upload over the limit, a multipart run with an unknown input', async () => {
  const before = await objects();
  const tooBig = await upload(textFile(LIMIT + 5 * MB, 'too big'), 'big.txt');
  assert.equal(tooBig.status, 413);
  assert.equal((await tooBig.json()).error.code, 'PAYLOAD_TOO_LARGE');
  assert.deepEqual(await objects(), before);
  assert.deepEqual(await moto.openUploads(BUCKET, PREFIX), [], 'the multipart upload was aborted');

  const pipelineId = await savePipeline(env, {
    format: 'tessera.pipeline/v1',
    name: 's3-refused',
    nodes: [
      { id: 'doc', type: 'input', params: { name: 'file', kind: 'document' } },
      { id: 'hash', type: 'test-digest', params: {} },
      { id: 'sha', type: 'output', params: { name: 'sha256' } },
    ],
    edges: [
      { from: 'doc.value', to: 'hash.file' },
      { from: 'hash.sha256', to: 'sha.value' },
    ],
  });
  const known = textFile(10 * MB, 'stored first, then refused');
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(known)], { type: 'text/plain' }), 'known.txt'); // stored first ...
  form.append('nope', new Blob(['unknown input'], { type: 'text/plain' }), 'nope.txt'); // ... then refused here
  const refused = await env.request('POST', `/api/v1/pipelines/${pipelineId}/runs`, { body: form });
  assert.equal(refused.status, 400, refused.text);
  assert.equal(refused.json.error.code, 'RUN_INPUT_UNKNOWN');
  assert.equal((await fetch(`${env.url}/api/v1/blobs/${sha(known)}`)).status, 404, 'the file stored before the refusal was removed');
  assert.deepEqual(await objects(), before);
  assert.deepEqual(await moto.openUploads(BUCKET, PREFIX), []);
});
