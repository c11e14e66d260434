import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.ts';

/** TODO(owner): the /blobs endpoints. */
export function blobsRoutes(_app: FastifyInstance, _deps: ApiDeps): void {}
