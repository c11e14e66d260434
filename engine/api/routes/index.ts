/** Resource route modules, registered under /api/v1 in this order. Each file owns one resource. */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.ts';

export type RouteModule = (app: FastifyInstance, deps: ApiDeps) => void;

export const routeModules: RouteModule[] = [];
