import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.ts';

/** TODO(owner): the /webhooks endpoints. */
export function webhooksRoutes(_app: FastifyInstance, _deps: ApiDeps): void {}
