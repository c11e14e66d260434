import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.ts';

/** TODO(owner): the /schedules endpoints. */
export function schedulesRoutes(_app: FastifyInstance, _deps: ApiDeps): void {}
