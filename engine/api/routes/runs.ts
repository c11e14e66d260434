import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.ts';

/** TODO(owner): the /runs endpoints. */
export function runsRoutes(_app: FastifyInstance, _deps: ApiDeps): void {}
