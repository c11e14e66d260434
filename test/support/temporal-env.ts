/**
 * A real Temporal dev server on free ports plus an in-process worker, for one test file.
 * The workflow bundle is built once and cached in a folder shared by the test files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { FsBlobStore } from '../../engine/blob/fs-store.ts';
import type { BlobStore } from '../../engine/blob/store.ts';
import { createLogger } from '../../engine/logger.ts';
import type { NodeRegistry } from '../../engine/node-sdk/registry.ts';
import { validatePipeline, type ValidPipeline } from '../../engine/pipeline/validate.ts';
import { startDevServer, type DevServer } from '../../engine/temporal/dev-server.ts';
import { startRun } from '../../engine/run/start.ts';
import { createWorker } from '../../engine/worker/create-worker.ts';
import type { ProgressEvent } from '../../engine/worker/activities.ts';
import type { FilePolicy, RunOrigin } from '../../engine/files/policy.ts';
import type { Providers } from '../../engine/providers/types.ts';
import type { SubPipelineSource } from '../../engine/pipeline/sub-pipelines.ts';
import { ensureTemporalRuntime } from '../../engine/worker/runtime.ts';
import { createRegistry } from '../../nodes/index.ts';
import { SqliteVectorStore } from '../../engine/vector/sqlite-store.ts';
import { testNodes } from './test-nodes.ts';

export const BUNDLE_CACHE = path.join(os.tmpdir(), 'tessera-test-bundle-cache');

/** A worker for tests: the shared bundle cache, a vector store in `dir`, silent logs. */
export function testWorker(options: {
  connection: NativeConnection;
  taskQueue: string;
  dir: string;
  registry: NodeRegistry;
  blobs: BlobStore;
  /** What non-CLI runs may read (none when unset). */
  files?: FilePolicy;
  /** AI providers (none when unset). */
  providers?: Providers;
  onProgress?: (e: ProgressEvent) => void;
}): Promise<Worker> {
  const { dir, ...rest } = options;
  return createWorker({
    namespace: 'default',
    cacheDir: BUNDLE_CACHE,
    vectors: new SqliteVectorStore(path.join(dir, 'vectors.db')),
    log: createLogger('silent'),
    ...rest,
  });
}

export interface TemporalEnv {
  server: DevServer;
  client: Client;
  registry: NodeRegistry;
  blobs: FsBlobStore;
  dir: string;
  taskQueue: string;
  /** `blobs`: a blob store other than the env's (a worker with a data folder of its own). */
  startWorker(options?: { files?: FilePolicy; providers?: Providers; blobs?: FsBlobStore }): Promise<{ worker: Worker; running: Promise<void> }>;
  /** `subPipelines`: the saved pipelines `pipeline` nodes may run. */
  validate(doc: unknown, subPipelines?: SubPipelineSource): ValidPipeline;
  /** Starts a run as the local CLI would (origin 'cli') unless another origin is given. */
  start(doc: unknown, inputs?: Record<string, unknown>, origin?: RunOrigin, subPipelines?: SubPipelineSource): ReturnType<typeof startRun>;
  close(): Promise<void>;
}

export async function createTemporalEnv(): Promise<TemporalEnv> {
  process.env.TESSERA_TEMPORAL_LOG_LEVEL ??= 'ERROR'; // expected activity failures would flood the output
  ensureTemporalRuntime();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-test-'));
  const server = await startDevServer({ dbFile: path.join(dir, 'temporal.db'), port: 0, uiPort: 0, namespace: 'default', ui: false });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const native = await NativeConnection.connect({ address: server.address });
  const registry = createRegistry(testNodes);
  const blobs = new FsBlobStore(path.join(dir, 'blobs'));
  const taskQueue = `test-${path.basename(dir)}`;
  const workers: { worker: Worker; running: Promise<void> }[] = [];

  const validate = (doc: unknown, subPipelines?: SubPipelineSource): ValidPipeline => {
    const result = validatePipeline(doc, registry, subPipelines ? { subPipelines } : {});
    if (!result.ok) throw new Error(`invalid test pipeline: ${JSON.stringify(result.errors)}`);
    return result.value;
  };

  return {
    server,
    client,
    registry,
    blobs,
    dir,
    taskQueue,
    validate,
    async startWorker(options = {}) {
      const worker = await testWorker({ connection: native, taskQueue, dir, registry, blobs, ...options });
      const entry = { worker, running: worker.run() };
      workers.push(entry);
      return entry;
    },
    start(doc, inputs = {}, origin: RunOrigin = 'cli', subPipelines?: SubPipelineSource) {
      return startRun(client, validate(doc, subPipelines), inputs, { taskQueue, origin, blobs });
    },
    async close() {
      for (const { worker, running } of workers) {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running.catch(() => undefined);
      }
      await connection.close();
      await native.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Builds a pipeline document from nodes and "a.out->b.in" edge strings. */
export function pipeline(name: string, nodes: unknown[], edges: string[]): unknown {
  return {
    format: 'tessera.pipeline/v1',
    name,
    nodes,
    edges: edges.map((e) => {
      const [from, to] = e.split('->');
      return { from, to };
    }),
  };
}
