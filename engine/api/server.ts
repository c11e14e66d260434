/**
 * Starts the HTTP API on a host and port, with the run tracker that keeps the run index current.
 * Used by `tessera serve`, `tessera dev` and the tests.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import type { ApiDeps } from './deps.ts';

export interface ApiServerOptions {
  host: string;
  port: number;
  authRequired: boolean;
  ready?: () => Promise<boolean>;
  logger?: boolean | Record<string, unknown>;
}

export interface ApiServer {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  close(): Promise<void>;
}

/** Auth may be off only on loopback: anything else would expose pipelines and keys-free runs to the network. */
export function checkAuthBinding(host: string, authRequired: boolean): void {
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  if (!authRequired && !loopback) {
    throw new Error(`Refusing to run without API keys on ${host}: auth may be off only when bound to 127.0.0.1.`);
  }
}

export async function startApiServer(deps: ApiDeps, options: ApiServerOptions): Promise<ApiServer> {
  checkAuthBinding(options.host, options.authRequired);
  const app = await buildApp(deps, { authRequired: options.authRequired, ready: options.ready, logger: options.logger });
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    app,
    url: `http://${host}:${port}`,
    async close() {
      await app.close();
    },
  };
}
