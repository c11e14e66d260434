/**
 * The long-running commands:
 *   tessera worker   a worker on a task queue (pool), against TEMPORAL_ADDRESS or a running dev server;
 *   tessera serve    the HTTP API (no worker unless --worker);
 *   tessera dev      everything on one machine: embedded Temporal server, worker and API.
 * All stop cleanly on SIGINT/SIGTERM.
 */
import type { Worker } from '@temporalio/worker';
import type { ApiServer } from '../api/server.ts';
import { findMediaTools, mediaToolsLines } from '../media/find-tools.ts';
import { terminateLocalOcr } from '../media/ocr-local.ts';
import { taskQueueFor } from '../run/plan.ts';
import { checkDatabaseUrl } from '../store/open-store.ts';
import { StoreNodeCache } from '../cache/store-node-cache.ts';
import type { Store } from '../store/types.ts';
import { connectTemporal } from '../temporal/connect.ts';
import type { ProgressEvent } from '../worker/activities.ts';
import { maxUploadBytes, rateLimits, workerConcurrency } from '../config.ts';
import { cliContext, cliWorker, type CommonOptions } from './context.ts';
import { apiPortInUse, assertApiPortFree, isAddressInUse } from './port-check.ts';
import { startupBanner } from './startup-banner.ts';
import { stopWorker } from './stop-worker.ts';
import { isLoopbackAddress } from '../api/http/loopback.ts';
import { checkBlobStore } from '../blob/open-blob-store.ts';
import { TesseraError } from '../errors.ts';

export interface ServicesOptions extends CommonOptions {
  pool?: string;
  ui?: boolean;
  host?: string;
  port?: string;
  /** commander's --auth / --no-auth; undefined means the default for the mode. */
  auth?: boolean;
  worker?: boolean;
  api?: boolean;
  maxUpload?: string;
  /** --concurrency: activities the worker runs at once (TESSERA_WORKER_CONCURRENCY). */
  concurrency?: string;
}

type Mode = 'worker' | 'serve' | 'dev';

/** The pattern of a node's options.pool (engine/pipeline/schema.ts). */
const POOL_NAME = /^[a-z0-9-]+$/;

export async function servicesCommand(options: ServicesOptions, mode: Mode): Promise<number> {
  const runWorker = mode === 'worker' || (mode === 'dev' && options.worker !== false) || (mode === 'serve' && options.worker === true);
  const runApi = mode === 'serve' || (mode === 'dev' && options.api !== false);
  // Settings that can be wrong are checked before anything is opened or started.
  const uploadLimit = runApi ? maxUploadBytes(options.maxUpload) : 0;
  const concurrency = runWorker ? workerConcurrency(options.concurrency) : undefined;
  // A pool is named as nodes name it (options.pool, a node type's execution.pool): any other name would poll
  // a queue no node is ever scheduled on.
  if (options.pool !== undefined && !POOL_NAME.test(options.pool)) {
    throw new TesseraError('USAGE', `--pool must be a pool name as nodes give it (lower-case letters, digits and "-", e.g. gpu); got "${options.pool}".`, { details: { option: '--pool', value: options.pool } });
  }
  if (runWorker) rateLimits(); // a malformed TESSERA_RATE_LIMITS stops here (USAGE), before anything starts
  const ctx = await cliContext(options);
  await checkBlobStore(ctx.blobs); // an S3 bucket (TESSERA_BLOB_URL) that cannot be used stops here
  checkDatabaseUrl(ctx.settings); // so does a malformed TESSERA_DATABASE_URL (the store opens below)
  const host = options.host ?? process.env.TESSERA_API_HOST ?? '127.0.0.1';
  const port = Number(options.port ?? process.env.TESSERA_API_PORT ?? 8080);
  const envAuth = process.env.TESSERA_AUTH === 'off' ? false : process.env.TESSERA_AUTH === 'on' ? true : undefined;
  // The local start command runs without keys on loopback; `serve` and any other address require them.
  const authRequired = options.auth ?? envAuth ?? !(mode === 'dev' && isLoopbackAddress(host));
  const providers = runWorker ? await ctx.loadProviders() : undefined;
  if (runApi) await assertApiPortFree(host, port);

  // The Temporal UI shows every workflow's inputs and outputs to whoever reaches its port, with no key:
  // where the API requires keys it is off unless asked for with --ui.
  const ui = options.ui ?? !authRequired;
  const temporal = await connectTemporal(ctx.settings.temporal, { dbFile: ctx.paths.temporalDb, embedded: mode !== 'worker', ui });
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let api: ApiServer | undefined;
  let store: Store | undefined;
  const progressSinks: ((e: ProgressEvent) => void)[] = [];
  try {
    const pool = options.pool ?? 'default';
    const taskQueue = taskQueueFor(ctx.settings.taskQueue, pool);
    // The API starts before the worker: a port taken since the check above then fails before any worker
    // exists (a worker created but never run cannot be shut down, and its connection cannot be closed).
    if (runApi) {
      // The HTTP server, its routes and the store are loaded here, so a worker-only process never loads them
      // (fastify, prom-client, the store's SQL layer: about 40 MiB of a worker's idle RSS).
      const [{ startApiServer }, { createMetrics }, { openStore }] = await Promise.all([import('../api/server.ts'), import('../api/metrics.ts'), import('../store/open-store.ts')]);
      store = await openStore(ctx.settings);
      // The worker below (same process) and the API share the store's cache rather than open it twice.
      await ctx.cache.close();
      ctx.cache = new StoreNodeCache(store, ctx.cache.maxBytes);
      api = await startApiServer(
        {
          store,
          client: temporal.client,
          registry: ctx.registry,
          blobs: ctx.blobs,
          cache: ctx.cache,
          localFiles: ctx.files,
          taskQueue: ctx.settings.taskQueue,
          log: ctx.log,
          metrics: createMetrics(),
          maxUploadBytes: uploadLimit,
          publicUrl: process.env.TESSERA_PUBLIC_URL,
        },
        { host, port, authRequired, logger: { level: process.env.TESSERA_LOG_LEVEL ?? 'warn' }, ready: async () => temporalAnswers(temporal.client) },
      ).catch((err: unknown) => {
        throw isAddressInUse(err) ? apiPortInUse(host, port, err) : err;
      });
      const { tracker } = api;
      progressSinks.push((e) => tracker.onProgress(e));
    }
    if (runWorker) {
      worker = await cliWorker(ctx, temporal, {
        taskQueue,
        providers,
        activitiesOnly: pool !== 'default',
        onProgress: (e) => progressSinks.forEach((sink) => sink(e)),
        concurrency,
      });
    }

    const mediaTools = worker ? await mediaToolsLines(findMediaTools()) : undefined;
    process.stderr.write(startupBanner({ mode, ctx, temporal, authRequired, worker: worker ? { taskQueue, providers, mediaTools, concurrency, rateLimits: ctx.limiter?.describe() } : undefined, api, host }));

    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      running = worker?.run().then(stop, (err) => {
        ctx.log.error({ err }, 'worker stopped');
        stop();
      });
    });
    return 0;
  } finally {
    await api?.close();
    // Only a worker that ran has a shutdown to wait for (one never run stays INITIALIZED forever).
    if (worker && running) await stopWorker(worker, running);
    await ctx.cache.close();
    await store?.close();
    await temporal.close();
    await terminateLocalOcr();
    ctx.vectors?.close();
    await ctx.limiter?.close();
  }
}


async function temporalAnswers(client: { workflowService: { getSystemInfo(req: object): Promise<unknown> } }): Promise<boolean> {
  await client.workflowService.getSystemInfo({});
  return true;
}
