/**
 * Malformed requests at every operation of the OpenAPI document (whatever routes exist when this runs):
 * odd path parameters, broken and mistyped bodies, wrong content types, random bytes, odd queries and
 * headers. No answer may be a 5xx, and every error answer must have the `{ error: { code, message } }`
 * shape. The cases are a fixed list plus seeded random bytes, so every run sends the same requests.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
const WITH_BODY = new Set(['put', 'post', 'patch']);

/** mulberry32: a tiny seeded PRNG, so the "random" bytes are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(0x7e55e4a);
const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));

/** Path parameter values, already as they appear in the URL (some deliberately not valid escapes). */
const ODD_PARAMS = [
  '%00', 'a%00b', '..', '..%2F..%2Fetc%2Fpasswd', '%2e%2e%2f%2e%2e%2f', '%', '%E0%A4%A', '%ZZ', '%F0%9F%98%80', '%20', '%0A',
  "'%20OR%201=1--", '%3Cscript%3Ealert(1)%3C%2Fscript%3E', '-1', '0', '1.5', '1e309', 'NaN', 'null', 'undefined', '__proto__',
  'constructor', 'a'.repeat(101), 'a'.repeat(4000), '0'.repeat(64), 'f'.repeat(63), 'x;y=z', 'x,y', '~!$&*()+=:@',
];

interface BodyCase {
  label: string;
  body?: string | Uint8Array | FormData;
  contentType?: string;
  /** The server may legitimately close the connection before reading all of it. */
  oversized?: boolean;
}

const BODIES = bodyCases();

function bodyCases(): BodyCase[] {
  const json = (label: string, body: string): BodyCase => ({ label, body, contentType: 'application/json' });
  const form = new FormData();
  form.append('inputs', '{"broken":');
  form.append('file', new Blob([randomBytes(300)]), '../../evil.bin');
  const huge = 'x'.repeat(1024 * 1024);
  return [
    { label: 'no body' },
    json('empty JSON', ''),
    json('invalid JSON', '{"a":'),
    json('trailing garbage', '{"a":1} xyz'),
    json('null', 'null'),
    json('true', 'true'),
    json('number', '123'),
    json('string', '"text"'),
    json('empty array', '[]'),
    json('array of objects', '[{"format":"tessera.pipeline/v1"},{}]'),
    json('empty object', '{}'),
    json(
      'wrong types',
      JSON.stringify({ format: 1, name: [], nodes: {}, edges: 'x', inputs: 'x', version: 'one', wait: 'forever', spec: 5, cron: 1, pipelineVersion: -1, paused: 'no', secret: {} }),
    ),
    json('nulls everywhere', JSON.stringify({ format: null, name: null, nodes: [null], edges: [null], inputs: null, spec: null })),
    json('huge strings', JSON.stringify({ name: huge, inputs: { x: huge }, note: huge })),
    json('deep nesting', `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`),
    json('prototype keys', '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'),
    json('unicode', JSON.stringify({ name: '\u0000\uFFFF\uD800', inputs: { '\u0000': '\uD800' } })),
    { label: 'random bytes as JSON', body: randomBytes(2048), contentType: 'application/json' },
    { label: 'random bytes', body: randomBytes(4096), contentType: 'application/octet-stream' },
    { label: 'random bytes, no content type', body: randomBytes(512) },
    { label: 'text', body: 'hello', contentType: 'text/plain' },
    { label: 'xml', body: '<pipeline/>', contentType: 'application/xml' },
    { label: 'urlencoded', body: 'a=1&b[]=2&__proto__=3', contentType: 'application/x-www-form-urlencoded' },
    { label: 'multipart without boundary', body: 'garbage', contentType: 'multipart/form-data' },
    { label: 'truncated multipart', body: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc', contentType: 'multipart/form-data; boundary=xyz' },
    { label: 'multipart with odd fields', body: form },
    { label: 'malformed content type', body: '{}', contentType: 'application/json;;;=' },
    { label: 'utf-16 JSON', body: '{}', contentType: 'application/json; charset=utf-16' },
    { label: 'over the JSON body limit', body: `"${'y'.repeat(10 * 1024 * 1024 + 1000)}"`, contentType: 'application/json', oversized: true },
  ];
}

const QUERIES = [
  '?limit=-1', '?limit=abc&cursor=%00', '?limit=1&limit=2', '?limit=99999999999999999999', '?cursor=' + 'c'.repeat(3000), '?version=1e400',
  '?version=-1', '?wait=99999999', '?wait=abc', '?kind=../../etc', '?name=' + 'n'.repeat(3000), '?status=%00&trigger=nope&pipelineId=%',
  '?__proto__[x]=1&constructor=2', '?%=%',
];

const HEADERS: Record<string, string>[] = [
  { range: 'bytes=abc' },
  { range: 'bytes=99999999999999999999-' },
  { range: 'bytes=5-1' },
  { 'last-event-id': 'garbage' },
  { 'last-event-id': '9'.repeat(400) },
  { 'if-none-match': '*' },
  { accept: 'text/event-stream' },
  { authorization: 'Basic Og==' },
];

interface Case {
  method: string;
  url: string;
  label: string;
  body?: BodyCase;
  headers?: Record<string, string>;
}

let env: ApiEnv;
let pipelineId: string;
before(async () => {
  env = await startApiEnv();
  const greeting = JSON.parse(readFileSync(new URL('../../examples/greeting.pipeline.json', import.meta.url), 'utf8'));
  const saved = await env.request('POST', '/api/v1/pipelines', { body: greeting });
  assert.equal(saved.status, 201, saved.text);
  pipelineId = saved.json.pipeline.id;
});
after(async () => env?.close());

/** A value that gets a request past the path parameter, so that the body and query are what is tested. */
function plausible(param: string): string {
  if (param === 'version') return '1';
  if (param === 'sha256') return '0'.repeat(64);
  return param === 'id' ? pipelineId : 'x';
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{([^}]+)\}/g, (_m, name: string) => values[name] ?? plausible(name));
}

function casesFor(template: string, method: string): Case[] {
  const params = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  const cases: Case[] = [];
  const minimal: BodyCase | undefined = WITH_BODY.has(method) ? { label: 'empty object', body: '{}', contentType: 'application/json' } : undefined;
  for (const param of params) {
    for (const value of ODD_PARAMS) cases.push({ method, url: fill(template, { [param]: value }), label: `${param}=${value.slice(0, 20)}`, body: minimal });
  }
  const url = fill(template, {});
  if (WITH_BODY.has(method)) for (const body of BODIES) cases.push({ method, url, label: `body: ${body.label}`, body });
  for (const query of QUERIES) cases.push({ method, url: url + query, label: `query ${query.slice(0, 30)}`, body: minimal });
  if (method === 'get') {
    for (const headers of HEADERS) cases.push({ method, url, label: `headers ${JSON.stringify(headers).slice(0, 40)}`, headers });
    cases.push({ method: 'head', url, label: 'HEAD' });
  }
  // A few seeded combinations of the above.
  for (let i = 0; i < 3; i++) {
    const values = Object.fromEntries(params.map((p) => [p, ODD_PARAMS[Math.floor(random() * ODD_PARAMS.length)]]));
    const bodies = BODIES.filter((b) => !b.oversized);
    const body = WITH_BODY.has(method) ? bodies[Math.floor(random() * bodies.length)] : undefined;
    cases.push({ method, url: fill(template, values) + QUERIES[Math.floor(random() * QUERIES.length)], label: `mix ${i}`, body });
  }
  return cases;
}

const statuses = new Map<number, number>();

/** What is wrong with the answer to one case, or undefined when it is fine. */
async function check(c: Case): Promise<string | undefined> {
  const headers: Record<string, string> = { ...c.headers };
  if (c.body?.contentType) headers['content-type'] = c.body.contentType;
  let response: Response;
  try {
    response = await fetch(`${env.url}${c.url}`, { method: c.method.toUpperCase(), headers, body: c.body?.body as BodyInit | undefined, signal: AbortSignal.timeout(60_000) });
  } catch (err) {
    if (c.body?.oversized) return undefined; // closing the connection on an oversized body is allowed
    return `no answer: ${(err as Error).cause ?? err}`;
  }
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  if ((response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    await response.body?.cancel();
    return response.status >= 500 ? `status ${response.status}` : undefined;
  }
  const text = await response.text();
  if (response.status >= 500) return `status ${response.status}: ${text.slice(0, 200)}`;
  if (response.status < 400 || c.method === 'head') return undefined;
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    return `status ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`;
  }
  if (typeof body?.error?.code !== 'string' || typeof body.error.message !== 'string') return `status ${response.status} without the error shape: ${text.slice(0, 200)}`;
  return undefined;
}

test('malformed requests at every documented endpoint answer 4xx with coded errors, never 5xx', async (t) => {
  const doc = (await env.request('GET', '/api/v1/openapi.json')).json;
  const operations = Object.entries<Record<string, unknown>>(doc.paths).flatMap(([template, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ template, method })),
  );
  assert.ok(operations.length >= 10, `the OpenAPI document lists ${operations.length} operations`);
  // Deletes last, so that the saved pipeline is still there for the other operations' cases.
  operations.sort((a, b) => Number(a.method === 'delete') - Number(b.method === 'delete'));

  const failures: string[] = [];
  let sent = 0;
  for (const { template, method } of operations) {
    for (const c of casesFor(template, method)) {
      const problem = await check(c);
      sent++;
      if (problem) failures.push(`${c.method.toUpperCase()} ${template} [${c.label}]: ${problem}`);
    }
  }
  t.diagnostic(`${sent} requests at ${operations.length} operations; statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
  assert.deepEqual(failures.slice(0, 30), [], `${failures.length} bad answers`);
  // The server is still healthy afterwards.
  assert.equal((await env.request('GET', '/api/v1/health')).status, 200);
});
