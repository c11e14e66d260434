/**
 * One memory study: a fresh embedded server (a variant of it, server-variants.ts) and a `tessera worker`
 * process, `runs` one-node runs through them (`concurrency` in flight), the server's and the worker's RSS
 * and the server's own figures sampled every `every` runs, then once more after the runs went quiet.
 */
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { FsBlobStore } from '../../engine/blob/fs-store.ts';
import { validatePipeline } from '../../engine/pipeline/validate.ts';
import type { RunPipelineResult } from '../../engine/run/plan.ts';
import { startRun } from '../../engine/run/start.ts';
import { freePort } from '../../engine/temporal/dev-server.ts';
import { createRegistry } from '../../nodes/index.ts';
import { benchNodes, chainPipeline } from '../bench-nodes.ts';
import { check } from '../parts.ts';
import { rssMiB } from '../proc.ts';
import { startServices } from '../services.ts';
import { serverMetrics, type ServerMetrics } from './server-metrics.ts';
import { serverWrapper, type ServerVariant } from './server-variants.ts';

export interface MemorySample extends ServerMetrics {
  runs: number;
  /** Seconds since the first run started. */
  seconds: number;
  serverRss: number;
  workerRss: number;
  /** The server's SQLite file and its write-ahead log, MiB. */
  dbMiB: number;
  walMiB: number;
  load: number;
}

export interface MemoryStudy {
  variant: ServerVariant;
  samples: MemorySample[];
  /** The sample after the runs, once the server and worker had been idle for `settleSeconds`. */
  settled: MemorySample;
  mode: string;
  runsPerSecond: number;
}

export const STUDY = { runs: Number(process.env.BENCH_MEMORY_RUNS ?? 5000), every: 500, concurrency: 20, settleSeconds: 30 };

const mib = (file: string) => {
  try {
    return statSync(file).size / 2 ** 20;
  } catch {
    return 0;
  }
};

export async function memoryStudy(variant: ServerVariant, log: (m: string) => void): Promise<MemoryStudy> {
  const wrapperDir = mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-wrapper-'));
  const metricsPort = await freePort();
  const services = await startServices({ cliPath: serverWrapper(wrapperDir, variant, metricsPort), benchNodes: true, log });
  try {
    const valid = validatePipeline(chainPipeline(1), createRegistry(benchNodes));
    if (!valid.ok) throw new Error(JSON.stringify(valid.errors));
    const blobs = new FsBlobStore(path.join(services.dir, 'blobs'));
    const db = path.join(services.dir, 'temporal.db');
    const t0 = performance.now();
    const sample = async (runs: number): Promise<MemorySample> => ({
      runs,
      seconds: (performance.now() - t0) / 1000,
      serverRss: rssMiB(services.serverPid),
      workerRss: rssMiB(services.worker.child.pid!),
      dbMiB: mib(db),
      walMiB: mib(`${db}-wal`),
      load: os.loadavg()[0],
      ...(await serverMetrics(metricsPort)),
    });
    const samples = [await sample(0)];
    let started = 0;
    let done = 0;
    const runOne = async () => {
      const text = `m${started++}`;
      const handle = await startRun(services.client, valid.value, { text }, { taskQueue: services.taskQueue, origin: 'cli', blobs });
      const result = (await handle.result()) as RunPipelineResult;
      check(result.outputs.text === text, `memory study run ${text}`);
      done++;
    };
    // `concurrency` runs in flight at all times; a sample at every `every` runs done.
    let nextSample = STUDY.every;
    await Promise.all(
      Array.from({ length: STUDY.concurrency }, async () => {
        while (started < STUDY.runs) {
          await runOne();
          if (done >= nextSample) {
            nextSample += STUDY.every;
            const s = await sample(done);
            samples.push(s);
            log(`memory ${variant.id}: ${done} runs, server ${s.serverRss.toFixed(0)} MiB (mutable-state cache ${s.msCache}), worker ${s.workerRss.toFixed(0)} MiB`);
          }
        }
      }),
    );
    const runsPerSecond = STUDY.runs / ((performance.now() - t0) / 1000);
    await new Promise((resolve) => setTimeout(resolve, STUDY.settleSeconds * 1000));
    return { variant, samples, settled: await sample(STUDY.runs), mode: services.mode, runsPerSecond };
  } finally {
    await services.close();
    rmSync(wrapperDir, { recursive: true, force: true });
  }
}
