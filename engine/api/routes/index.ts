/** Resource route modules, registered under /api/v1 in this order. Each file owns one resource. */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.ts';
import { approvalRoutes } from './approvals.ts';
import { blobPreviewRoutes } from './blob-previews.ts';
import { blobsRoutes } from './blobs.ts';
import { cacheRoutes } from './cache.ts';
import { estimateRoutes } from './estimate.ts';
import { eventsRoutes } from './events.ts';
import { nodePortsRoutes } from './node-ports.ts';
import { pipelinesRoutes } from './pipelines.ts';
import { runNodesRoutes } from './run-nodes.ts';
import { runsRoutes } from './runs.ts';
import { schedulesRoutes } from './schedules.ts';
import { webhooksRoutes } from './webhooks.ts';

export type RouteModule = (app: FastifyInstance, deps: ApiDeps) => void;

export const routeModules: RouteModule[] = [pipelinesRoutes, nodePortsRoutes, blobsRoutes, blobPreviewRoutes, runsRoutes, runNodesRoutes, approvalRoutes, eventsRoutes, webhooksRoutes, schedulesRoutes, cacheRoutes, estimateRoutes];
