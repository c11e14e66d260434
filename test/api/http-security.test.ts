/**
 * The HTTP edge under attack: keys checked on the matched route (absolute-form request targets too), the
 * loopback Host and same-origin rules of a keys-off server, nesting-bounded JSON, stalled bodies, and
 * protocol-level errors in the coded shape. Raw requests go through node:http or a bare socket, since
 * fetch cannot send absolute-form targets, foreign Host headers or broken framing.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';
import { wavBytes } from '../support/fixtures.ts';

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  json: any;
}

/** One request with full control of the request target and headers. */
function rawRequest(base: string, method: string, target: string, options: { headers?: Record<string, string>; body?: string } = {}): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path: target, headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Bytes on a bare socket; resolves with everything the server sent until it closed the connection. */
function socketExchange(base: string, bytes: string): Promise<string> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

function codeOf(raw: string): { status: number; code?: string } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  try {
    return { status, code: JSON.parse(body).error?.code };
  } catch {
    return { status };
  }
}

const samplePipeline = {
  format: 'tessera.pipeline/v1',
  name: 'echo',
  nodes: [
    { id: 'who', type: 'input', params: { name: 'who', kind: 'text' } },
    { id: 'out', type: 'output', params: { name: 'who' } },
  ],
  edges: [{ from: 'who.value', to: 'out.value' }],
};

describe('a server that requires keys', () => {
  let env: ApiEnv;
  before(async () => {
    env = await startApiEnv({ authRequired: true });
  });
  after(async () => env?.close());

  test('every OpenAPI operation refuses a request without a key, in origin-form and absolute-form', async () => {
    const doc = (await env.request('GET', '/api/v1/openapi.json')).json;
    assert.equal(doc.openapi, '3.1.0', 'the OpenAPI document is public');
    const failures: string[] = [];
    let checked = 0;
    for (const [template, item] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const method of ['get', 'put', 'post', 'patch', 'delete', 'head']) {
        const operation = item[method];
        if (!operation) continue;
        const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
        const path = template.replace(/\{[^}]+\}/g, 'x1');
        const body = ['post', 'put', 'patch'].includes(method) ? JSON.stringify(samplePipeline) : undefined;
        const headers: Record<string, string> = body ? { 'content-type': 'application/json' } : {};
        for (const target of [path, `${env.url}${path}`, `http://example.com${path}`]) {
          const answer = await rawRequest(env.url, method.toUpperCase(), target, { headers, body });
          checked++;
          if (isPublic) {
            if (answer.status === 401) failures.push(`${method} ${target}: a public route asked for a key`);
          } else if (answer.status !== 401 || (method !== 'head' && answer.json?.error?.code !== 'UNAUTHORIZED')) {
            failures.push(`${method} ${target}: ${answer.status} ${answer.json?.error?.code ?? ''}`);
          }
        }
      }
    }
    assert.ok(checked >= 90, `checked ${checked} requests`);
    assert.deepEqual(failures, []);
    // Nothing was created by all of that.
    const key = await env.deps.store.createApiKey('probe');
    assert.deepEqual((await env.request('GET', '/api/v1/pipelines', { token: key.secret })).json.items, []);
  });

  test('the public routes are exactly health, readiness, the OpenAPI document and webhook calls', async () => {
    assert.equal((await rawRequest(env.url, 'GET', `${env.url}/api/v1/health`)).status, 200);
    assert.equal((await rawRequest(env.url, 'GET', '/api/v1/openapi.json')).status, 200);
    assert.equal((await rawRequest(env.url, 'GET', '/api/v1/metrics')).status, 401);
    // Unknown paths and wrong methods do not tell an anonymous caller what exists.
    assert.equal((await rawRequest(env.url, 'GET', '/api/v1/nope')).status, 401);
    assert.equal((await rawRequest(env.url, 'DELETE', '/api/v1/runs')).status, 401);
  });
});

describe('a keys-off server on loopback', () => {
  let env: ApiEnv;
  before(async () => {
    env = await startApiEnv({ bodyIdleMs: 1000 });
  });
  after(async () => env?.close());

  const port = () => new URL(env.url).port;

  test('answers loopback Host names only (DNS rebinding)', async () => {
    for (const host of [`127.0.0.1:${port()}`, `localhost:${port()}`, `[::1]:${port()}`, 'localhost', '127.1.2.3']) {
      assert.equal((await rawRequest(env.url, 'GET', '/api/v1/pipelines', { headers: { host } })).status, 200, host);
    }
    for (const host of ['evil.example', `evil.example:${port()}`, `127.0.0.1.evil.example:${port()}`, `localhost.evil:${port()}`, '10.0.0.1']) {
      const answer = await rawRequest(env.url, 'GET', '/api/v1/pipelines', { headers: { host } });
      assert.equal(answer.status, 403, host);
      assert.equal(answer.json.error.code, 'HOST_NOT_ALLOWED');
    }
    const posted = await rawRequest(env.url, 'POST', '/api/v1/pipelines', {
      headers: { host: 'evil.example', 'content-type': 'application/json' },
      body: JSON.stringify(samplePipeline),
    });
    assert.equal(posted.json.error.code, 'HOST_NOT_ALLOWED');
    assert.equal((await env.deps.store.listPipelines({})).items.length, 0);
  });

  test('refuses state-changing requests from other web sites, and simple-form content types', async () => {
    const host = `127.0.0.1:${port()}`;
    const importFile = JSON.stringify(samplePipeline);
    const crossSite: Record<string, string>[] = [
      { origin: 'http://evil.example', 'content-type': 'application/json' },
      { origin: 'null', 'content-type': 'application/json' },
      { origin: `http://localhost:${Number(port()) + 1}`, 'content-type': 'application/json' },
      { 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
      { 'sec-fetch-site': 'same-site', 'content-type': 'application/json' },
    ];
    for (const headers of crossSite) {
      const answer = await rawRequest(env.url, 'POST', '/api/v1/pipelines/import', { headers: { host, ...headers }, body: importFile });
      assert.equal(answer.status, 403, JSON.stringify(headers));
      assert.equal(answer.json.error.code, 'CROSS_SITE_REFUSED');
    }
    // A form post needs no preflight: text/plain and urlencoded bodies are not accepted at all.
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const answer = await rawRequest(env.url, 'POST', '/api/v1/pipelines/import', { headers: { host, 'content-type': type }, body: importFile });
      assert.equal(answer.status, 415, type);
    }
    // An upload from another site leaves nothing behind.
    const wav = wavBytes();
    const upload = await fetch(`${env.url}/api/v1/blobs`, { method: 'POST', headers: { origin: 'http://evil.example', 'content-type': 'application/octet-stream' }, body: new Uint8Array(wav) });
    assert.equal(upload.status, 403);
    assert.equal((await env.deps.store.listPipelines({})).items.length, 0);

    // The same origin (the editor) and clients that are not browsers are served.
    const sameOrigin = await rawRequest(env.url, 'POST', '/api/v1/pipelines/import', {
      headers: { host, origin: `http://${host}`, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' },
      body: importFile,
    });
    assert.equal(sameOrigin.status, 201, JSON.stringify(sameOrigin.json));
    const curl = await rawRequest(env.url, 'POST', '/api/v1/pipelines', { headers: { host, 'content-type': 'application/json' }, body: importFile });
    assert.equal(curl.status, 201);
    // Reads from anywhere stay possible (a link to the editor), but cannot be read by the page without CORS.
    const read = await rawRequest(env.url, 'GET', '/api/v1/pipelines', { headers: { host, 'sec-fetch-site': 'cross-site' } });
    assert.equal(read.status, 200);
    assert.equal(read.headers['access-control-allow-origin'], undefined);
  });

  test('JSON nested 10,000 levels deep is a coded 400 on every JSON route, the unauthenticated webhook included', async () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const deepObject = `{"inputs":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`;
    const saved = await env.request('POST', '/api/v1/pipelines', { body: { ...samplePipeline, name: 'deep' } });
    assert.equal(saved.status, 201);
    const id = saved.json.pipeline.id;
    const hook = await env.request('POST', `/api/v1/pipelines/${id}/webhooks`, { body: {} });
    const token = String(hook.json.url).split('/').pop();
    for (const route of ['/api/v1/pipelines', '/api/v1/pipelines/validate', `/api/v1/pipelines/${id}/runs`, `/api/v1/hooks/${token}`]) {
      for (const body of [deep, deepObject]) {
        const answer = await env.request('POST', route, { body, headers: { 'content-type': 'application/json' } });
        assert.equal(answer.status, 400, `${route}: ${answer.text.slice(0, 200)}`);
        assert.equal(answer.json.error.code, 'JSON_TOO_DEEP', route);
      }
    }
    // The same inside a multipart form's "inputs" field.
    const form = new FormData();
    form.append('inputs', `{"who":${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
    const multipart = await env.request('POST', `/api/v1/pipelines/${id}/runs`, { body: form });
    assert.equal(multipart.json?.error?.code, 'JSON_TOO_DEEP', multipart.text.slice(0, 200));
    // 100 levels are fine (a deep JSON Schema in extract-json params, say).
    const fine = await env.request('POST', `/api/v1/pipelines/${id}/runs?wait=30`, { body: `{"inputs":{"who":"x"},"v":${'['.repeat(100)}${']'.repeat(100)}}`, headers: { 'content-type': 'application/json' } });
    assert.notEqual(fine.json?.error?.code, 'JSON_TOO_DEEP');
    assert.equal((await env.request('GET', '/api/v1/health')).status, 200);
  });

  test('a body that stops arriving is answered 408 and its connection closed', async () => {
    const host = `127.0.0.1:${port()}`;
    const stalled = await socketExchange(env.url, `POST /api/v1/pipelines HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n{"for`);
    assert.deepEqual(codeOf(stalled), { status: 408, code: 'REQUEST_TIMEOUT' });
    const upload = await socketExchange(env.url, `POST /api/v1/blobs HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/octet-stream\r\nContent-Length: 5000000\r\n\r\nabc`);
    assert.deepEqual(codeOf(upload), { status: 408, code: 'REQUEST_TIMEOUT' });
    // A declared length over the JSON limit is refused at once, before any byte of the body.
    const declared = await rawRequest(env.url, 'POST', '/api/v1/pipelines', { headers: { host, 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) } }).catch(() => undefined);
    if (declared) assert.equal(declared.status, 413);
    // The same for an upload declared larger than --max-upload: 413 at once, not a wait for the bytes.
    const hugeUpload = await socketExchange(env.url, `POST /api/v1/blobs HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${5 * 1024 ** 3}\r\n\r\nabc`);
    assert.deepEqual(codeOf(hugeUpload), { status: 413, code: 'PAYLOAD_TOO_LARGE' });
    assert.equal((await env.request('GET', '/api/v1/health')).status, 200);
  });

  test('protocol-level errors and wrong methods use the coded error shape', async () => {
    const host = `127.0.0.1:${port()}`;
    const smuggled = await socketExchange(env.url, `POST /api/v1/pipelines HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`);
    assert.deepEqual(codeOf(smuggled), { status: 400, code: 'REQUEST_INVALID' });
    const bigHeaders = await socketExchange(env.url, `GET /api/v1/health HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.deepEqual(codeOf(bigHeaders), { status: 431, code: 'HEADERS_TOO_LARGE' });
    const unknownMethod = await socketExchange(env.url, `FOO /api/v1/health HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    assert.equal(codeOf(unknownMethod).code, 'METHOD_NOT_ALLOWED');
    const trace = await rawRequest(env.url, 'TRACE', '/api/v1/pipelines');
    assert.equal(trace.status, 405);
    assert.equal(trace.json.error.code, 'METHOD_NOT_ALLOWED');
    assert.match(String(trace.headers.allow), /GET/);
    const wrong = await rawRequest(env.url, 'DELETE', '/api/v1/runs/some-run');
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, 'GET, HEAD');
    assert.equal((await rawRequest(env.url, 'GET', '/api/v1/nope')).json.error.code, 'NOT_FOUND');
  });
});
