/**
 * `tessera worker`: a long-running worker on a task queue (a pool). `tessera dev`: the embedded Temporal
 * server (or the configured cluster) plus a worker, until interrupted.
 */
import { connectTemporal } from '../temporal/connect.ts';
import { createWorker } from '../worker/create-worker.ts';
import { taskQueueFor } from '../run/plan.ts';
import { cliContext, type CommonOptions } from './context.ts';
import { terminateLocalOcr } from '../media/ocr-local.ts';

export interface WorkerCommandOptions extends CommonOptions {
  pool?: string;
  ui?: boolean;
}

export async function workerCommand(options: WorkerCommandOptions, mode: 'worker' | 'dev'): Promise<number> {
  const ctx = await cliContext(options);
  const providers = ctx.loadProviders();
  const temporal = await connectTemporal(ctx.settings.temporal, {
    dbFile: ctx.paths.temporalDb,
    embedded: mode === 'dev',
    ui: options.ui !== false,
  });
  const pool = options.pool ?? 'default';
  const taskQueue = taskQueueFor(ctx.settings.taskQueue, pool);
  try {
    const worker = await createWorker({
      connection: await temporal.workerConnection(),
      namespace: temporal.namespace,
      taskQueue,
      cacheDir: ctx.paths.cache,
      registry: ctx.registry,
      blobs: ctx.blobs,
      vectors: ctx.vectors,
      providers,
      log: ctx.log,
      activitiesOnly: pool !== 'default',
    });
    const stop = () => worker.shutdown();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const where = temporal.devServer ? `embedded Temporal server at ${temporal.address}` : `Temporal at ${temporal.address}`;
    process.stderr.write(`tessera ${mode}: worker on task queue "${taskQueue}", ${where}, data folder ${ctx.settings.dataDir}\n`);
    if (temporal.uiUrl) process.stderr.write(`Temporal UI: ${temporal.uiUrl}\n`);
    process.stderr.write('ready\n');
    await worker.run();
    return 0;
  } finally {
    await temporal.close();
    await terminateLocalOcr();
    ctx.vectors.close();
  }
}
