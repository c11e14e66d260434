/**
 * Serves the built browser editor (editor/dist, made by `npm install` / `npm run build:editor`) at `/`,
 * the same origin as /api/v1, so the editor needs no CORS and passes the loopback cross-site guard.
 *
 * - `/assets/*` are Vite's content-hashed files: cached for a year, immutable.
 * - The editor's client routes (`/`, `/new`, `/pipelines/...`) answer index.html, never cached, so a
 *   reload after an upgrade picks up the new asset names. Only those routes fall back to index.html:
 *   an unknown `/api/...` path still gets the coded 404 (or 401 without a key).
 * - Every page carries a Content-Security-Policy: scripts, styles, workers and fetches from this origin
 *   only; nothing from a CDN, no inline script, no framing.
 *
 * The routes are public (`security: []`: the page itself holds no data; the API calls it makes need the
 * key) and hidden from the OpenAPI document.
 */
import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { apiError } from '../errors.ts';
import { PACKAGE_ROOT } from '../../package-root.ts';

export const EDITOR_DIST = join(PACKAGE_ROOT, 'editor', 'dist') + sep;

/** Vue sets inline style attributes (node positions, socket colours), hence 'unsafe-inline' for styles only. */
export const EDITOR_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  // Run outputs (audio, documents) are shown from blob: URLs of what the editor downloaded with its key.
  "media-src 'self' blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Paths the editor's own router handles (see editor/src/router.ts). */
const CLIENT_ROUTES = ['/', '/new', '/pipelines/*'];

const schema = { hide: true, security: [] };

export async function editorRoutes(app: FastifyInstance, options: { dist?: string } = {}): Promise<void> {
  const dist = options.dist ?? EDITOR_DIST;
  // serve: false — the routes below are declared here so each carries the public, hidden schema.
  await app.register(fastifyStatic, { root: dist, serve: false });

  const page = (reply: FastifyReply) => {
    void reply.header('content-security-policy', EDITOR_CSP).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
    if (!existsSync(`${dist}index.html`)) {
      return reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('The Tessera editor is not built. Run "npm run build:editor" (npm install does it), then reload. The API is at /api/v1.\n');
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html', dist, { cacheControl: false });
  };
  for (const url of CLIENT_ROUTES) app.get(url, { schema }, async (_request, reply) => page(reply));

  app.get('/assets/*', { schema }, async (request, reply) => {
    const file = (request.params as { '*': string })['*'];
    // Answered here so a missing asset is a plain coded 404 (the not-found handler would see the GET route
    // and call it a 405). @fastify/send also confines the path to the folder.
    if (!/^[A-Za-z0-9._-]+$/.test(file) || !existsSync(join(dist, 'assets', file))) throw apiError('NOT_FOUND', `No editor asset "${file.slice(0, 100)}".`);
    void reply.header('content-security-policy', EDITOR_CSP).header('x-content-type-options', 'nosniff');
    return reply.sendFile(file, `${dist}assets`, { cacheControl: true, maxAge: '365d', immutable: true });
  });
}
