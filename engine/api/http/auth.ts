/**
 * API-key authentication: `Authorization: Bearer <key>`. Decided on the matched route, never on the
 * request's URL string (an absolute-form target such as `GET http://host/api/v1/pipelines` routes like
 * `/api/v1/pipelines` but does not start with `/api/`). Every route, including the 404 and 405 answers,
 * is protected unless its schema declares `security: []`: the same declaration that tells the OpenAPI
 * document the route needs no key (health, readiness, the OpenAPI document, webhook calls, whose URL
 * carries its own secret). So the document and the behaviour cannot drift apart.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Store } from '../../store/types.ts';
import { apiError } from '../errors.ts';

/** True when the matched route is declared public (`schema.security: []`). */
export function isPublicRoute(request: FastifyRequest): boolean {
  const security = (request.routeOptions.schema as { security?: unknown[] } | undefined)?.security;
  return Array.isArray(security) && security.length === 0;
}

export function installAuth(app: FastifyInstance, store: Store, options: { required: boolean }): void {
  if (!options.required) return;
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (isPublicRoute(request)) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw apiError('UNAUTHORIZED', 'Missing API key: send "Authorization: Bearer <key>" (create one with "tessera keys create").');
    const key = await store.verifyApiKey(match[1]);
    if (!key) throw apiError('UNAUTHORIZED', 'The API key is unknown or revoked.');
    request.apiKeyId = key.id;
    request.apiKeyName = key.name;
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    apiKeyId?: string;
    /** The key's name (who decided an approval, for example). */
    apiKeyName?: string;
  }
}
