/**
 * What every CLI command needs: settings, a registry with plugins, the blob store and a logger. What only
 * a worker needs (provider SDKs, offline OCR, the Temporal worker, the vector store) is loaded when a
 * worker is about to start, so `validate` and `nodes` do not pay for it.
 */
import { createRegistry } from '../../nodes/index.ts';
import { openBlobStore } from '../blob/open-blob-store.ts';
import type { BlobStore } from '../blob/store.ts';
import { cacheMaxBytes, dataPaths, loadSettings, rateLimits, workerConcurrency, type Settings } from '../config.ts';
import { StoreNodeCache } from '../cache/store-node-cache.ts';
import { createLogger, type Logger } from '../logger.ts';
import type { NodeRegistry } from '../node-sdk/registry.ts';
import { loadPlugins } from '../plugins.ts';
import type { VectorStore } from '../vector/store.ts';
import type { RateLimiter } from '../limits/rate-limiter.ts';
import type { Providers } from '../providers/types.ts';
import { TesseraError } from '../errors.ts';
import type { Worker } from '@temporalio/worker';
import type { TemporalHandle } from '../temporal/connect.ts';
import type { ProgressEvent } from '../worker/activities.ts';
import { filePolicy, type FilePolicy } from '../files/policy.ts';

export interface CommonOptions {
  dataDir?: string;
  taskQueue?: string;
  plugin?: string[];
  /** --file-root (repeatable): folders API runs may read (replaces TESSERA_FILE_ROOTS). */
  fileRoot?: string[];
}

export interface CliContext {
  settings: Settings;
  registry: NodeRegistry;
  /** The data folder's blobs, or S3 with TESSERA_BLOB_URL (not checked yet: see checkBlobStore). */
  blobs: BlobStore;
  /**
   * The output cache, in the store (shared by every process of a deployment). Opens the store on first use
   * unless the process has one already (services-command gives it the API's); closed with `cache.close()`.
   */
  cache: StoreNodeCache;
  /** The vector store (opened by the first worker); undefined until then. */
  vectors?: VectorStore;
  /** The shared per-provider rate limits (opened by the first worker when TESSERA_RATE_LIMITS is set). */
  limiter?: RateLimiter;
  log: Logger;
  paths: ReturnType<typeof dataPaths>;
  /** What runs that do not come from the local CLI may read: the roots, never the data folder. */
  files: FilePolicy;
  /** The worker's AI providers, from the environment (read when a worker is about to start). */
  loadProviders(): Promise<Providers>;
}

export async function cliContext(options: CommonOptions): Promise<CliContext> {
  const settings = loadSettings({ dataDir: options.dataDir, taskQueue: options.taskQueue, fileRoots: options.fileRoot });
  const paths = dataPaths(settings.dataDir);
  return {
    settings,
    paths,
    files: filePolicy(settings.fileRoots, settings.dataDir),
    registry: createRegistry(await loadPlugins(options.plugin ?? [])),
    blobs: await openBlobStore({ blobUrl: settings.blobUrl, fsRoot: paths.blobs }),
    // Loaded only when a node first uses the cache: `validate` and `nodes` never open the store.
    cache: new StoreNodeCache(async () => (await import('../store/open-store.ts')).openStore(settings), cacheMaxBytes()),
    log: createLogger(),
    loadProviders,
  };
}

/** Providers from the standard variables and TESSERA_PROVIDERS_FILE, plus the offline tesseract OCR. */
export async function loadProviders(env: NodeJS.ProcessEnv = process.env): Promise<Providers> {
  const [{ createProviders, ProvidersConfigError }, { createLocalProvider }] = await Promise.all([import('../providers/index.ts'), import('../media/ocr-local.ts')]);
  try {
    return createProviders(env, env.TESSERA_PROVIDERS_FILE, [createLocalProvider()]);
  } catch (err) {
    if (err instanceof ProvidersConfigError) throw new TesseraError('PROVIDERS_CONFIG_INVALID', err.message);
    throw err;
  }
}

/**
 * A worker on `taskQueue` with this CLI context's registry, stores and providers, running at most
 * `concurrency` activities at once (default TESSERA_WORKER_CONCURRENCY, else 100), under the rate limits of
 * TESSERA_RATE_LIMITS.
 */
export async function cliWorker(
  ctx: CliContext,
  temporal: TemporalHandle,
  options: { taskQueue: string; providers?: Providers; activitiesOnly: boolean; onProgress?: (e: ProgressEvent) => void; concurrency?: number },
): Promise<Worker> {
  const [{ createWorker }, { openVectorStore }, { openRateLimiter }] = await Promise.all([
    import('../worker/create-worker.ts'), import('../vector/open-vector-store.ts'), import('../limits/rate-limiter.ts'),
  ]);
  ctx.vectors ??= await openVectorStore(ctx.settings, ctx.paths.vectors);
  ctx.limiter ??= await openRateLimiter(ctx.settings, rateLimits());
  const { concurrency, ...rest } = options;
  return createWorker({
    connection: await temporal.workerConnection(),
    namespace: temporal.namespace,
    cacheDir: ctx.paths.cache,
    registry: ctx.registry,
    blobs: ctx.blobs,
    vectors: ctx.vectors,
    cache: ctx.cache,
    files: ctx.files,
    log: ctx.log,
    limiter: ctx.limiter,
    maxConcurrentActivities: concurrency ?? workerConcurrency(undefined),
    ...rest,
  });
}
