import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../deps.ts';

const CatalogEntry = z.object({
  type: z.string(),
  version: z.number(),
  latest: z.boolean(),
  title: z.string(),
  category: z.string(),
  description: z.string(),
  role: z.string(),
  inputs: z.record(z.string(), z.unknown()).nullable(),
  outputs: z.record(z.string(), z.unknown()).nullable(),
  paramsSchema: z.unknown(),
  execution: z.unknown(),
});

export function nodeTypeRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/node-types',
    { schema: { tags: ['node types'], summary: 'The node catalog: ports, params JSON Schema, category, docs.', response: { 200: z.object({ items: z.array(CatalogEntry) }) } } },
    async () => ({ items: deps.registry.catalog() }),
  );
}
