/**
 * Nothing is stored for a refused request (issue 7 item 7): a multipart run or webhook call that is
 * refused (unknown input name, bad inputs, wrong signature) leaves no blob: GET /blobs/:sha256 is 404 and
 * the blob folder holds no new file. A blob that existed before the request is kept.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { signatureHeaders } from '../../engine/api/webhooks/signature.ts';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';
import { digestPipeline } from '../support/fixtures.ts';

const digest = digestPipeline('refused-uploads');

/** Small, so that a signed form over the spool limit (upload limit + 1 MiB) is cheap to send. */
const MAX_UPLOAD = 256 * 1024;
let env: ApiEnv;
let key: string;
let pipelineId: string;

before(async () => {
  env = await startApiEnv({ authRequired: true, maxUploadBytes: MAX_UPLOAD });
  key = (await env.deps.store.createApiKey('refused uploads')).secret;
  pipelineId = (await env.deps.store.createPipeline(digest)).pipeline.id;
});
after(async () => env?.close());

/** Bytes no other test uses, shaped like a PDF so they suit the document input. */
function uniqueDocument(label: string): { bytes: Buffer; sha256: string } {
  const bytes = Buffer.from(`%PDF-1.4\n% ${label} ${randomBytes(16).toString('hex')}\n`);
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Every file under the blob folder, temporary files included. */
function blobFiles(): string[] {
  const root = path.join(env.dir, 'blobs');
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

async function blobStatus(sha256: string): Promise<number> {
  return (await env.request('GET', `/api/v1/blobs/${sha256}`, { token: key })).status;
}

const file = (doc: { bytes: Buffer }, name = 'scan.pdf') => new Blob([new Uint8Array(doc.bytes)], { type: 'application/pdf' });

test('a multipart run with an unknown input name stores none of its files', async () => {
  const known = uniqueDocument('known');
  const unknown = uniqueDocument('unknown');
  const before = blobFiles();
  const form = new FormData();
  form.append('file', file(known), 'known.pdf'); // a real input, stored first ...
  form.append('nope', file(unknown), 'unknown.pdf'); // ... then the request is refused here
  const response = await env.request('POST', `/api/v1/pipelines/${pipelineId}/runs`, { token: key, body: form });
  assert.equal(response.status, 400, response.text);
  assert.equal(response.json.error.code, 'RUN_INPUT_UNKNOWN');
  assert.match(response.json.error.message, /"nope"/);
  assert.equal(await blobStatus(unknown.sha256), 404);
  assert.equal(await blobStatus(known.sha256), 404, 'the file stored before the refusal was removed');
  assert.deepEqual(blobFiles(), before);
});

test('a run refused after its files were stored (unknown name in the "inputs" field) rolls them back', async () => {
  const doc = uniqueDocument('then refused');
  const before = blobFiles();
  const form = new FormData();
  form.append('file', file(doc), 'scan.pdf');
  form.append('inputs', JSON.stringify({ nope: 1 }));
  const response = await env.request('POST', `/api/v1/pipelines/${pipelineId}/runs`, { token: key, body: form });
  assert.equal(response.status, 400, response.text);
  assert.equal(response.json.error.code, 'RUN_INPUT_UNKNOWN');
  assert.equal(await blobStatus(doc.sha256), 404);
  assert.deepEqual(blobFiles(), before);
});

test('a blob that existed before a refused request is kept', async () => {
  const doc = uniqueDocument('uploaded before');
  const uploaded = await env.request('POST', '/api/v1/blobs?name=before.pdf', { token: key, body: new Uint8Array(doc.bytes), headers: { 'content-type': 'application/pdf' } });
  assert.equal(uploaded.status, 201, uploaded.text);
  const form = new FormData();
  form.append('file', file(doc), 'again.pdf');
  form.append('inputs', JSON.stringify({ nope: 1 }));
  const response = await env.request('POST', `/api/v1/pipelines/${pipelineId}/runs`, { token: key, body: form });
  assert.equal(response.status, 400);
  assert.equal(await blobStatus(doc.sha256), 200);
});

test('a multipart run that starts keeps its files', async () => {
  const doc = uniqueDocument('accepted');
  const form = new FormData();
  form.append('file', file(doc), 'scan.pdf');
  const response = await env.request('POST', `/api/v1/pipelines/${pipelineId}/runs?wait=30`, { token: key, body: form });
  assert.equal(response.status, 200, response.text);
  assert.equal(response.json.outputs.sha256, doc.sha256);
  assert.equal(await blobStatus(doc.sha256), 200);
});

async function createHook(body: Record<string, unknown>) {
  const response = await env.request('POST', `/api/v1/pipelines/${pipelineId}/webhooks`, { token: key, body });
  assert.equal(response.status, 201, response.text);
  return response.json as { url: string; secret?: string };
}

/** The exact bytes and content type a FormData is sent as (they are what gets signed). */
async function rawForm(form: FormData): Promise<{ raw: Buffer; contentType: string }> {
  const request = new Request('http://local/', { method: 'POST', body: form });
  return { raw: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get('content-type')! };
}

async function post(url: string, body: Buffer, headers: Record<string, string>) {
  const response = await fetch(url, { method: 'POST', body: new Uint8Array(body), headers });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined, text };
}

test('a signed multipart webhook with a wrong signature stores nothing; the right one stores and runs', async () => {
  const secret = `shared-${randomBytes(12).toString('hex')}`;
  const hook = await createHook({ secret });
  const doc = uniqueDocument('webhook');
  const form = new FormData();
  form.append('file', file(doc), 'scan.pdf');
  const { raw, contentType } = await rawForm(form);
  const before = blobFiles();

  const forged = await post(hook.url, raw, { 'content-type': contentType, ...signatureHeaders('not-the-secret', raw) });
  assert.equal(forged.status, 401, forged.text);
  assert.equal(forged.json.error.code, 'SIGNATURE_INVALID');
  assert.equal(await blobStatus(doc.sha256), 404, 'the file of a refused call is not downloadable');
  assert.deepEqual(blobFiles(), before, 'no new file in the blob folder');

  const signed = await post(hook.url, raw, { 'content-type': contentType, ...signatureHeaders(secret, raw) });
  assert.equal(signed.status, 202, signed.text);
  assert.equal(await blobStatus(doc.sha256), 200);
});

test('a signed multipart webhook whose signature is right but whose file names an unknown input stores nothing', async () => {
  const secret = `shared-${randomBytes(12).toString('hex')}`;
  const hook = await createHook({ secret });
  const doc = uniqueDocument('webhook unknown input');
  const form = new FormData();
  form.append('nope', file(doc), 'scan.pdf');
  const { raw, contentType } = await rawForm(form);
  const before = blobFiles();
  const response = await post(hook.url, raw, { 'content-type': contentType, ...signatureHeaders(secret, raw) });
  assert.equal(response.status, 400, response.text);
  assert.equal(response.json.error.code, 'RUN_INPUT_UNKNOWN');
  assert.equal(await blobStatus(doc.sha256), 404);
  assert.deepEqual(blobFiles(), before);
});

test('an unsigned multipart webhook refused for its inputs stores nothing', async () => {
  const hook = await createHook({});
  const doc = uniqueDocument('unsigned webhook');
  const before = blobFiles();
  const form = new FormData();
  form.append('file', file(doc), 'scan.pdf');
  form.append('inputs', JSON.stringify({ nope: 1 }));
  const response = await fetch(hook.url, { method: 'POST', body: form });
  const json = (await response.json()) as { error: { code: string } };
  assert.equal(response.status, 400);
  assert.equal(json.error.code, 'RUN_INPUT_UNKNOWN');
  assert.equal(await blobStatus(doc.sha256), 404);
  assert.deepEqual(blobFiles(), before);
});

test('a signed multipart webhook larger than the spool limit is 413 and stores nothing', async () => {
  const secret = `shared-${randomBytes(12).toString('hex')}`;
  const hook = await createHook({ secret });
  const big = { bytes: Buffer.concat([uniqueDocument('big').bytes, randomBytes(MAX_UPLOAD + 1024 * 1024)]) };
  const form = new FormData();
  form.append('file', file(big), 'big.pdf');
  const { raw, contentType } = await rawForm(form);
  const before = blobFiles();
  const response = await post(hook.url, raw, { 'content-type': contentType, ...signatureHeaders(secret, raw) });
  assert.equal(response.status, 413, response.text);
  assert.equal(response.json.error.code, 'PAYLOAD_TOO_LARGE');
  assert.deepEqual(blobFiles(), before);
});
