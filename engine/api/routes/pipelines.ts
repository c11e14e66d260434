import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.ts';

/** TODO(owner): the /pipelines endpoints. */
export function pipelinesRoutes(_app: FastifyInstance, _deps: ApiDeps): void {}
