/**
 * The output cache: how much it holds, and clearing it (all of it, or one node type's entries). Runs
 * choose how they use it with `cache` when they start (auto, on, refresh, off).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { NodeCache } from '../../cache/node-cache.ts';
import type { ApiDeps } from '../deps.ts';
import { ErrorBody } from '../error-body.ts';

const Stats = z.object({ entries: z.number(), bytes: z.number().describe('Size of the entries (their JSON; the blobs they name are in the blob store).'), maxBytes: z.number() });
const ClearQuery = z.object({ type: z.string().min(1).max(200).optional().describe('Clear only the entries this node type made.') });

export function cacheRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const cache = (): NodeCache => deps.cache;
  api.get('/cache', { schema: { tags: ['cache'], summary: 'The output cache: entries, their size, the bound.', response: { 200: Stats } } }, async () => cache().stats());
  api.delete(
    '/cache',
    { schema: { tags: ['cache'], summary: 'Clear the output cache (or one node type\'s entries); later runs run those nodes again.', querystring: ClearQuery, response: { 200: z.object({ removed: z.number() }), 400: ErrorBody } } },
    async (request) => ({ removed: await cache().clear(request.query.type) }),
  );
}
