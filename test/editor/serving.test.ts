/**
 * The API serves the built editor at / (engine/api/routes/editor.ts): hashed assets cached for good,
 * index.html revalidated, client routes falling back to index.html, a CSP on every page, the routes
 * public and out of the OpenAPI document, and /api paths untouched by the fallback (401 without a key).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { EDITOR_DIST } from '../../engine/api/routes/editor.ts';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';

let env: ApiEnv;
before(async () => {
  assert.ok(existsSync(`${EDITOR_DIST}index.html`), 'the editor is built (npm install or npm run build:editor)');
  env = await startApiEnv({ authRequired: true });
});
after(async () => env?.close());

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${env.url}${path}`, { headers });

test('client routes answer index.html, not cached, with a Content-Security-Policy, without a key', async () => {
  for (const path of ['/', '/new', '/new?template=greeting', '/pipelines/p_123']) {
    const res = await get(path);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/, 'no inline or remote scripts');
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(await res.text(), /<div id="app">/);
  }
});

test('hashed assets are immutable for a year; a missing one is a coded 404', async () => {
  const asset = readdirSync(`${EDITOR_DIST}assets`).find((f) => f.endsWith('.js'))!;
  const res = await get(`/assets/${asset}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.match(res.headers.get('content-type') ?? '', /javascript/);
  const missing = await get('/assets/nope-123.js');
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
  const traversal = await get('/assets/..%2f..%2fpackage.json');
  assert.notEqual(traversal.status, 200, 'nothing outside the assets folder');
});

test('/api paths are not caught by the fallback: 401 without a key, coded 404 with one', async () => {
  const anonymous = await get('/api/v1/no-such-thing');
  assert.equal(anonymous.status, 401);
  assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED');
  const other = await get('/not-a-client-route');
  assert.equal(other.status, 401, 'unknown paths outside the editor\'s routes stay protected');
});

test('the editor routes are not in the OpenAPI document', async () => {
  const doc = (await (await get('/api/v1/openapi.json')).json()) as { paths: Record<string, unknown> };
  assert.ok(doc.paths['/api/v1/node-types/ports'], 'the ports endpoint is documented');
  assert.deepEqual(Object.keys(doc.paths).filter((p) => !p.startsWith('/api/v1/')), []);
});
