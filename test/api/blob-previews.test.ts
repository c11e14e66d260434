/** GET /blobs/:sha256/pages/:page: PDF page previews as PNG, and clear errors for everything else. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';
import { uploadBytes } from '../support/api-runs.ts';
import { makePdf } from '../media/pdf-fixture.ts';

let env: ApiEnv;
before(async () => {
  env = await startApiEnv();
});
after(async () => env?.close());

async function get(route: string) {
  const response = await fetch(`${env.url}${route}`);
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

test('each page of a PDF is a PNG preview about 600 px wide; the answer counts the pages', async () => {
  const pdf = await uploadBytes(env, makePdf([[612, 792, 'Page one'], [400, 300, 'Page two']]), 'report.pdf');
  const first = await get(`/api/v1/blobs/${pdf.sha256}/pages/1`);
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('content-type'), 'image/png');
  assert.equal(first.headers.get('x-page-count'), '2');
  const meta = await sharp(first.bytes).metadata();
  assert.equal(meta.format, 'png');
  assert.ok(Math.abs(meta.width! - 612) <= 1 && Math.abs(meta.height! - 792) <= 1, `Letter at 72 dpi (${meta.width}x${meta.height})`);
  const second = await sharp((await get(`/api/v1/blobs/${pdf.sha256}/pages/2`)).bytes).metadata();
  assert.ok(Math.abs(second.width! - 400) <= 1, 'page two has its own size');
});

test('a missing page, a blob that is no PDF, an unknown blob and a corrupt PDF answer coded errors', async () => {
  const pdf = await uploadBytes(env, makePdf([[300, 300, 'Only page']]), 'one.pdf');
  const missing = await env.request('GET', `/api/v1/blobs/${pdf.sha256}/pages/2`);
  assert.equal(missing.status, 400);
  assert.equal(missing.json.error.code, 'REQUEST_INVALID');
  assert.match(missing.json.error.message, /has 1 page; there is no page 2/);

  const text = await uploadBytes(env, Buffer.from('plain words, not a document format'), 'notes.txt');
  const notPdf = await env.request('GET', `/api/v1/blobs/${text.sha256}/pages/1`);
  assert.equal(notPdf.status, 415);
  assert.equal(notPdf.json.error.code, 'UNSUPPORTED_MEDIA');

  const corrupt = await uploadBytes(env, Buffer.from('%PDF-1.7\nthis is not a pdf body at all\n'), 'broken.pdf');
  const broken = await env.request('GET', `/api/v1/blobs/${corrupt.sha256}/pages/1`);
  assert.equal(broken.status, 415);
  assert.match(broken.json.error.message, /corrupt/);

  const unknown = await env.request('GET', `/api/v1/blobs/${'0'.repeat(64)}/pages/1`);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.error.code, 'BLOB_NOT_FOUND');
  const zero = await env.request('GET', `/api/v1/blobs/${pdf.sha256}/pages/0`);
  assert.equal(zero.status, 400);
});
