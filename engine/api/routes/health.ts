import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppOptions } from '../app.ts';
import type { ApiDeps } from '../deps.ts';

export function healthRoutes(app: FastifyInstance, deps: ApiDeps, options: AppOptions): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get('/health', { schema: { tags: ['health'], summary: 'Liveness: the API process answers.', security: [], response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({
    status: 'ok' as const,
  }));
  api.get(
    '/ready',
    { schema: { tags: ['health'], summary: 'Readiness: Temporal answers (503 until it does).', security: [], response: { 200: z.object({ ready: z.boolean() }), 503: z.object({ ready: z.boolean() }) } } },
    async (_request, reply) => {
      const ready = options.ready ? await options.ready().catch(() => false) : true;
      return reply.status(ready ? 200 : 503).send({ ready });
    },
  );
  metricsRoute(app, deps, { documented: true });
}

/**
 * Prometheus text. Served at /api/v1/metrics and at the conventional /metrics (app.ts registers both);
 * like every route not declared public, it needs an API key when keys are required.
 */
export function metricsRoute(app: FastifyInstance, deps: ApiDeps, options: { documented?: boolean } = {}): void {
  const schema = options.documented
    ? {
        tags: ['health'],
        summary: 'Prometheus metrics (text exposition format); also served at /metrics.',
        response: { 200: { description: 'Prometheus text exposition format 0.0.4.', content: { 'text/plain': { schema: z.string() } } } },
      }
    : { hide: true }; // the conventional /metrics: the same operation, documented once
  app.get('/metrics', { schema }, async (_request, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}
