/**
 * The benchmark's world: one embedded dev server on free ports, and two workers on it side by side,
 * Tessera's (runPipeline + the generic node activity) and the bare baseline's, each on its own task queue.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Context } from '@temporalio/activity';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { SqliteVectorStore } from '../engine/vector/sqlite-store.ts';
import { FsBlobStore } from '../engine/blob/fs-store.ts';
import { StoreNodeCache } from '../engine/cache/store-node-cache.ts';
import { SqliteStore } from '../engine/store/sqlite-store.ts';
import type { CacheMode } from '../engine/cache/cache-policy.ts';
import type { Providers } from '../engine/providers/types.ts';
import { loadSettings } from '../engine/config.ts';
import { createLogger } from '../engine/logger.ts';
import { validatePipeline, type ValidPipeline } from '../engine/pipeline/validate.ts';
import { startRun } from '../engine/run/start.ts';
import { startDevServer, type DevServer } from '../engine/temporal/dev-server.ts';
import { createWorker, EAGER_ACTIVITIES_PER_TASK } from '../engine/worker/create-worker.ts';
import { ensureTemporalRuntime } from '../engine/worker/runtime.ts';
import { createRegistry } from '../nodes/index.ts';
import type { BareActivities } from './bare-workflow.ts';
import { bareActivities } from './bare-activities.ts';
import { benchNodes } from './bench-nodes.ts';
import { treeCpuMs } from './proc.ts';

type BareWorkflow = 'bareChain' | 'bareFanOut' | 'bareTextChain' | 'bareLocalTextChain' | 'bareInlineTextChain';

const TESSERA_QUEUE = 'bench-tessera';
const BARE_QUEUE = 'bench-bare';
/** Tessera's cached workflow bundle (keyed by a hash of workflows/, so it is rebuilt when they change). */
export const BUNDLE_CACHE = path.join(os.tmpdir(), 'tessera-bench-bundle-cache');

export interface BenchEnv {
  server: DevServer;
  /** Validates a pipeline document against the built-in and bench nodes. */
  validate(doc: unknown): ValidPipeline;
  /** `cache`: the run's use of the output cache (off unless a measurement is about the cache). */
  startPipeline(valid: ValidPipeline, inputs?: Record<string, unknown>, cache?: CacheMode): Promise<WorkflowHandle>;
  /** The Tessera worker's output cache (cleared between measurements that need it cold). */
  cache: StoreNodeCache;
  blobs: FsBlobStore;
  /** Starts one of the workflows of bench/bare-workflow.ts on the baseline worker. */
  startBare(workflow: BareWorkflow, args: unknown[]): Promise<WorkflowHandle>;
  /**
   * CPU milliseconds used so far by this process (client and both workers) and by the dev server: the
   * guard process (engine/temporal/child-guard.mjs) and its children, the temporal server being one.
   */
  cpu(): { bench: number; server: number };
  /** The 1-min load average now. */
  load(): number;
  close(): Promise<void>;
}

/** `providers`: the Tessera worker's AI providers (the cache benchmark points them at the fake provider server). */
export async function createBenchEnv(log: (message: string) => void, providers?: Providers): Promise<BenchEnv> {
  ensureTemporalRuntime();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-'));
  const server = await startDevServer({
    dbFile: path.join(dir, 'temporal.db'),
    port: 0,
    uiPort: 0,
    namespace: 'default',
    ui: false,
    cliPath: loadSettings().temporal.cliPath,
  });
  log(`dev server on ${server.address}`);
  try {
    return await connectWorkers(server, dir, log, providers);
  } catch (err) {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function connectWorkers(server: DevServer, dir: string, log: (message: string) => void, providers?: Providers): Promise<BenchEnv> {
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  const native = await NativeConnection.connect({ address: server.address });
  const registry = createRegistry(benchNodes);
  const blobs = new FsBlobStore(path.join(dir, 'blobs'));
  const cache = new StoreNodeCache(() => SqliteStore.open(path.join(dir, 'tessera.db')));

  log('bundling workflows (Tessera bundle cached, bare bundle fresh)');
  const tessera = await createWorker({
    connection: native,
    namespace: 'default',
    taskQueue: TESSERA_QUEUE,
    cacheDir: BUNDLE_CACHE,
    registry,
    blobs,
    vectors: new SqliteVectorStore(path.join(dir, 'vectors.db')),
    cache,
    providers,
    log: createLogger('silent'),
  });
  const activities: BareActivities = {
    ...bareActivities,
    sleep: (ms) => sleep(ms, undefined, { signal: Context.current().cancellationSignal }),
  };
  const bare = await Worker.create({
    connection: native,
    namespace: 'default',
    taskQueue: BARE_QUEUE,
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('./bare-workflow.ts', import.meta.url)),
      logger: quietLogger,
    }),
    activities,
    // The same worker settings createWorker uses, so only the workflow and activity code differ.
    maxConcurrentActivityTaskExecutions: 100,
    maxEagerActivityReservationsPerWorkflowTask: EAGER_ACTIVITIES_PER_TASK,
    stickyQueueScheduleToStartTimeout: '1s',
    shutdownGraceTime: '5s',
  });
  const workers = [tessera, bare];
  const running = workers.map((w) => w.run());
  let counter = 0;

  return {
    server,
    validate(doc) {
      const result = validatePipeline(doc, registry);
      if (!result.ok) throw new Error(`invalid bench pipeline: ${JSON.stringify(result.errors)}`);
      return result.value;
    },
    startPipeline: (valid, inputs = {}, mode: CacheMode = 'off') => startRun(client, valid, inputs, { taskQueue: TESSERA_QUEUE, origin: 'cli', blobs, cache: mode }),
    cache,
    blobs,
    startBare: (workflow, args) =>
      client.workflow.start(workflow, { taskQueue: BARE_QUEUE, workflowId: `bare-${++counter}-${Date.now()}`, args }),
    cpu: () => {
      const { user, system } = process.cpuUsage();
      return { bench: (user + system) / 1000, server: treeCpuMs(server.process.pid!) };
    },
    load: () => os.loadavg()[0],
    async close() {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await Promise.allSettled(running);
      await connection.close();
      await native.close();
      await server.stop();
      await cache.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const noop = (): void => {};
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m), log: noop };
