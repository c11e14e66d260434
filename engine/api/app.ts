/**
 * The HTTP API (Fastify) under /api/v1. Route modules each register one resource; request and response
 * schemas are zod, from which the OpenAPI 3.1 document at /api/v1/openapi.json is generated.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyMultipart from '@fastify/multipart';
import fastifySwagger from '@fastify/swagger';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { withOperationIds } from './http/operation-ids.ts';
import type { ApiDeps } from './deps.ts';
import { installErrorHandling, onFrameworkError } from './errors.ts';
import { installAuth } from './http/auth.ts';
import { FORM_LIMITS } from './http/form-limits.ts';
import { documentCommonErrors } from './http/documented-errors.ts';
import { optionalNullableBodies } from './http/openapi-bodies.ts';
import { installJsonBody } from './http/json-body.ts';
import { installLocalGuard } from './http/local-guard.ts';
import { DEFAULT_BODY_IDLE_MS, installBodyIdleTimeout, onClientError, trackRouteMethods } from './http/protocol.ts';
import { editorRoutes } from './routes/editor.ts';
import { healthRoutes, metricsRoute } from './routes/health.ts';
import { nodeTypeRoutes } from './routes/node-types.ts';
import { routeModules } from './routes/index.ts';

export interface AppOptions {
  /** Require API keys (off only for a server bound to 127.0.0.1). */
  authRequired: boolean;
  /** Pino logger options for Fastify (false silences request logs). */
  logger?: boolean | Record<string, unknown>;
  /** Answers /ready: true when Temporal and the store answer. */
  ready?: () => Promise<boolean>;
  /** How long a request body may stall before the request is answered 408 (default 30 s). */
  bodyIdleMs?: number;
}

export async function buildApp(deps: ApiDeps, options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    genReqId: () => crypto.randomUUID(),
    bodyLimit: 10 * 1024 * 1024, // JSON bodies; uploads have their own (streamed) limit
    // Path parameters are bounded by each route's schema (at most 200 characters), not cut earlier by the router.
    routerOptions: { maxParamLength: 256 },
    forceCloseConnections: true, // SSE streams must not hold a shutdown open
    // Malformed URLs (bad %-escapes) and over-long path parameters bypass the error handler; this gives
    // them the coded error shape instead of Fastify's own body.
    frameworkErrors: onFrameworkError,
    clientErrorHandler: onClientError,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const allowedMethods = trackRouteMethods(app);
  documentCommonErrors(app);
  // Order matters: the Host/Origin guard, then the key check, then 404/405, all before any body byte is read.
  installLocalGuard(app, { authRequired: options.authRequired });
  installAuth(app, deps.store, { required: options.authRequired });
  installErrorHandling(app, allowedMethods);
  installBodyIdleTimeout(app, options.bodyIdleMs ?? DEFAULT_BODY_IDLE_MS);
  installJsonBody(app);

  await app.register(fastifyMultipart, { limits: { fileSize: deps.maxUploadBytes, ...FORM_LIMITS } });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Tessera API', version: '1.0.0', description: 'Pipelines, runs, uploads, webhooks and schedules.', license: { name: 'MIT', identifier: 'MIT' } },
      servers: [{ url: '/', description: 'The server that serves this document (paths start with /api/v1).' }],
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
    transform: withOperationIds(jsonSchemaTransform),
    transformObject: optionalNullableBodies,
  });

  await app.register(
    async (api) => {
      healthRoutes(api, deps, options);
      nodeTypeRoutes(api, deps);
      for (const register of routeModules) register(api, deps);
      api.get('/openapi.json', { schema: { hide: true, security: [] } }, async () => app.swagger());
    },
    { prefix: '/api/v1' },
  );
  metricsRoute(app, deps); // the conventional scrape path, next to /api/v1/metrics
  // The browser editor at / (same origin as the API); outside /api so unknown API paths stay coded 404s.
  await app.register(editorRoutes);
  return app;
}
