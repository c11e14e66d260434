/**
 * API-key authentication: `Authorization: Bearer <key>` on every endpoint except health, readiness and
 * webhooks (a webhook URL carries its own secret token).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Store } from '../store/types.ts';
import { apiError } from './errors.ts';

const PUBLIC_PREFIXES = ['/api/v1/health', '/api/v1/ready', '/api/v1/hooks/'];

export function installAuth(app: FastifyInstance, store: Store, options: { required: boolean }): void {
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (!options.required) return;
    const url = request.url.split('?')[0];
    if (!url.startsWith('/api/') || PUBLIC_PREFIXES.some((p) => url === p || url.startsWith(p))) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw apiError('UNAUTHORIZED', 'Missing API key: send "Authorization: Bearer <key>" (create one with "tessera keys create").');
    const key = await store.verifyApiKey(match[1]);
    if (!key) throw apiError('UNAUTHORIZED', 'The API key is unknown or revoked.');
    request.apiKeyId = key.id;
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    apiKeyId?: string;
  }
}
