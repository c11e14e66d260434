import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppOptions } from '../app.ts';
import type { ApiDeps } from '../deps.ts';

export function healthRoutes(app: FastifyInstance, deps: ApiDeps, options: AppOptions): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get('/health', { schema: { tags: ['health'], security: [], response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({
    status: 'ok' as const,
  }));
  api.get(
    '/ready',
    { schema: { tags: ['health'], security: [], response: { 200: z.object({ ready: z.boolean() }), 503: z.object({ ready: z.boolean() }) } } },
    async (_request, reply) => {
      const ready = options.ready ? await options.ready().catch(() => false) : true;
      return reply.status(ready ? 200 : 503).send({ ready });
    },
  );
  metricsRoute(app, deps);
}

/**
 * Prometheus text. Served at /api/v1/metrics and at the conventional /metrics (app.ts registers both);
 * like every route not declared public, it needs an API key when keys are required.
 */
export function metricsRoute(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/metrics', { schema: { tags: ['health'], hide: true } }, async (_request, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}
