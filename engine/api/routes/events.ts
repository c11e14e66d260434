import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.ts';

/** TODO(owner): the /events endpoints. */
export function eventsRoutes(_app: FastifyInstance, _deps: ApiDeps): void {}
