/**
 * Starts the HTTP API on a host and port, with the run tracker that keeps the run index current.
 * Used by `tessera serve`, `tessera dev` and the tests.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import type { ApiDeps } from './deps.ts';
import { RunTracker } from './runs/run-tracker.ts';
import { startScheduleRunPoller } from './schedules/schedule-runs.ts';
import { isLoopbackAddress } from './http/local-guard.ts';

export interface ApiServerOptions {
  host: string;
  port: number;
  authRequired: boolean;
  ready?: () => Promise<boolean>;
  logger?: boolean | Record<string, unknown>;
  /** See AppOptions.bodyIdleMs. */
  bodyIdleMs?: number;
}

export interface ApiServer {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  /** Follows runs into the store; give it the progress reports of an in-process worker (`onProgress`). */
  tracker: RunTracker;
  close(): Promise<void>;
}

/** Auth may be off only on loopback: anything else would expose pipelines and keys-free runs to the network. */
export function checkAuthBinding(host: string, authRequired: boolean): void {
  if (!authRequired && !isLoopbackAddress(host)) {
    throw new Error(`Refusing to run without API keys on ${host}: auth may be off only when bound to 127.0.0.1.`);
  }
}

export async function startApiServer(deps: ApiDeps, options: ApiServerOptions): Promise<ApiServer> {
  checkAuthBinding(options.host, options.authRequired);
  const tracker = new RunTracker(deps);
  const apiDeps: ApiDeps = { ...deps, tracker };
  const app = await buildApp(apiDeps, { authRequired: options.authRequired, ready: options.ready, logger: options.logger, bodyIdleMs: options.bodyIdleMs });
  // Re-attach to the runs still active in the index before answering anything about them.
  await tracker.start();
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    await tracker.stop();
    await app.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const scheduleRuns = startScheduleRunPoller(apiDeps); // scheduled runs start inside Temporal; this indexes them
  return {
    app,
    url: `http://${host}:${port}`,
    tracker,
    async close() {
      await scheduleRuns.stop();
      // Closing the app ends SSE streams and refuses new requests; then the tracker's last writes land.
      await app.close();
      await tracker.stop();
    },
  };
}
