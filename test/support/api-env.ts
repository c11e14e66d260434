/**
 * A real Tessera API for tests: embedded Temporal dev server on free ports, a worker with the test nodes,
 * SQLite store and blob store in a temp folder, and the Fastify app listening on a free port.
 * `restartApi()` closes and reopens the API (and its store) while Temporal and the worker keep going.
 */
import type { Providers } from '../../engine/providers/types.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { ApiDeps } from '../../engine/api/deps.ts';
import { createMetrics } from '../../engine/api/metrics.ts';
import { startApiServer, type ApiServer } from '../../engine/api/server.ts';
import { FsBlobStore } from '../../engine/blob/fs-store.ts';
import type { BlobStore } from '../../engine/blob/store.ts';
import { StoreNodeCache } from '../../engine/cache/store-node-cache.ts';
import { createLogger } from '../../engine/logger.ts';
import { SqliteStore } from '../../engine/store/sqlite-store.ts';
import { startDevServer, type DevServer } from '../../engine/temporal/dev-server.ts';
import { ensureTemporalRuntime } from '../../engine/worker/runtime.ts';
import { createRegistry } from '../../nodes/index.ts';
import { testWorker } from './temporal-env.ts';
import { filePolicy } from '../../engine/files/policy.ts';
import { testNodes } from './test-nodes.ts';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  json: T;
  text: string;
}

export interface ApiEnv {
  url: string;
  dir: string;
  deps: ApiDeps;
  server: DevServer;
  api: ApiServer;
  /** Calls the API; `token` becomes `Authorization: Bearer`. A plain object body is sent as JSON. */
  request<T = any>(method: string, route: string, options?: { body?: unknown; token?: string; headers?: Record<string, string> }): Promise<ApiResponse<T>>;
  restartApi(): Promise<void>;
  close(): Promise<void>;
}

export interface ApiEnvOptions {
  authRequired?: boolean;
  /** Folders API runs may read (API validation and the worker); the env's folder is the data folder. */
  fileRoots?: string[];
  maxUploadBytes?: number;
  /** How long a request body may stall before 408 (the server's default when unset). */
  bodyIdleMs?: number;
  /** The in-process worker's AI providers (none when unset). */
  providers?: Providers;
  /** The blob store of the API and its worker (e.g. S3); unset: an FsBlobStore in the env's folder. */
  blobs?: BlobStore;
}

export async function startApiEnv(options: ApiEnvOptions = {}): Promise<ApiEnv> {
  process.env.TESSERA_TEMPORAL_LOG_LEVEL ??= 'ERROR';
  ensureTemporalRuntime();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-api-'));
  const server = await startDevServer({ dbFile: path.join(dir, 'temporal.db'), port: 0, uiPort: 0, namespace: 'default', ui: false });
  const connection = await Connection.connect({ address: server.address });
  const native = await NativeConnection.connect({ address: server.address });
  const registry = createRegistry(testNodes);
  const blobs = options.blobs ?? new FsBlobStore(path.join(dir, 'blobs'));
  const taskQueue = `api-${path.basename(dir)}`;
  const log = createLogger('silent');
  const metrics = createMetrics();
  const files = filePolicy(options.fileRoots ?? [], dir);

  const makeDeps = (): ApiDeps => {
    const store = new SqliteStore(path.join(dir, 'tessera.db'));
    return {
      store,
      client: new Client({ connection }),
      registry,
      blobs,
      // The API's view of the cache (stats, clearing); this env's worker runs without one.
      cache: new StoreNodeCache(store),
      localFiles: files,
      taskQueue,
      log,
      metrics,
      maxUploadBytes: options.maxUploadBytes ?? 50 * 1024 * 1024,
    };
  };
  let deps = makeDeps();
  const start = () => startApiServer(deps, { host: '127.0.0.1', port: 0, authRequired: options.authRequired ?? false, bodyIdleMs: options.bodyIdleMs });
  let api = await start();

  const worker: Worker = await testWorker({
    connection: native,
    taskQueue,
    dir,
    registry,
    blobs,
    files,
    providers: options.providers,
    // Progress of this in-process worker becomes node.progress events of whichever API is up.
    onProgress: (e) => api.tracker.onProgress(e),
  });
  const running = worker.run();

  const env: ApiEnv = {
    get url() {
      return api.url;
    },
    dir,
    get deps() {
      return deps;
    },
    server,
    get api() {
      return api;
    },
    async request(method, route, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      let body: BodyInit | undefined;
      if (opts.body instanceof FormData || typeof opts.body === 'string' || opts.body instanceof Uint8Array) body = opts.body as BodyInit;
      else if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${api.url}${route}`, { method, headers, body });
      const text = await response.text();
      let json: any;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, json, text };
    },
    async restartApi() {
      await api.close();
      await deps.store.close();
      deps = makeDeps();
      api = await start();
    },
    async close() {
      await api.close();
      await deps.store.close();
      worker.shutdown();
      await running.catch(() => undefined);
      await connection.close();
      await native.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return env;
}
