/**
 * Part `workers` (issue 12): runs per second of a one-node pipeline with 1, 2 and 3 `tessera worker`
 * processes on one embedded Temporal server. Each level starts the same number of runs at once from this
 * process and waits for all of them; the workers are real processes with data folders of their own. On a
 * machine with few cores the workers share them with the server, so the figure shows where adding worker
 * processes stops helping here (a deployment adds hosts, not processes on one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { loadSettings } from '../engine/config.ts';
import { validatePipeline } from '../engine/pipeline/validate.ts';
import type { RunPipelineResult } from '../engine/run/plan.ts';
import { startRun } from '../engine/run/start.ts';
import { startDevServer } from '../engine/temporal/dev-server.ts';
import { FsBlobStore } from '../engine/blob/fs-store.ts';
import { createRegistry } from '../nodes/index.ts';
import { check, type Part, type PartContext, type PartResult } from './parts.ts';
import { loadText } from './proc.ts';
import { table } from './report.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RUNS = Number(process.env.BENCH_WORKERS_RUNS ?? 300);
const LEVELS = [1, 2, 3];

/** input -> json-pick (as a regular activity: the work a worker process takes from the queue) -> output. */
const ONE_NODE = {
  format: 'tessera.pipeline/v1',
  name: 'one-node',
  nodes: [
    { id: 'in', type: 'input', params: { name: 'doc', kind: 'json' } },
    { id: 'pick', type: 'json-pick', params: { path: 'n' }, options: { local: false } },
    { id: 'out', type: 'output', params: { name: 'n' } },
  ],
  edges: [{ from: 'in.value', to: 'pick.json' }, { from: 'pick.value', to: 'out.value' }],
};

function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/tessera.js'), 'worker'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('ready\n')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`tessera worker exited (${code}): ${stderr}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function run({ log }: PartContext): Promise<PartResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-workers-'));
  const server = await startDevServer({ dbFile: path.join(dir, 'temporal.db'), port: 0, uiPort: 0, namespace: 'default', ui: false, cliPath: loadSettings().temporal.cliPath });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const valid = validatePipeline(ONE_NODE, createRegistry());
  if (!valid.ok) throw new Error(JSON.stringify(valid.errors));
  const blobs = new FsBlobStore(path.join(dir, 'blobs'));
  const rows: string[][] = [];
  const rates: number[] = [];
  try {
    for (const workers of LEVELS) {
      const taskQueue = `bench-workers-${workers}`;
      const processes = await Promise.all(
        Array.from({ length: workers }, (_, i) => startWorker({ TEMPORAL_ADDRESS: server.address, TESSERA_TASK_QUEUE: taskQueue, TESSERA_DATA_DIR: path.join(dir, `w${workers}-${i}`), TESSERA_LOG_LEVEL: 'error' })),
      );
      try {
        const once = async (count: number) => {
          const began = performance.now();
          const handles = await Promise.all(Array.from({ length: count }, (_, n) => startRun(client, valid.value, { doc: { n } }, { taskQueue, origin: 'cli', blobs })));
          const results = (await Promise.all(handles.map((h) => h.result()))) as RunPipelineResult[];
          results.forEach((r, n) => check(r.outputs.n === n, `run ${n}`));
          return performance.now() - began;
        };
        await once(30); // warm-up: bundles loaded, workflows cached
        const load = os.loadavg();
        const wall = await once(RUNS);
        const rps = (RUNS * 1000) / wall;
        rates.push(rps);
        rows.push([String(workers), String(RUNS), `${(wall / 1000).toFixed(1)} s`, rps.toFixed(1), (rps / rates[0]).toFixed(2) + 'x', loadText(load)]);
        log(`workers: ${workers} process(es): ${rps.toFixed(1)} runs/s`);
      } finally {
        await Promise.all(processes.map(stop));
      }
    }
  } finally {
    await connection.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const body = `A one-node pipeline (\`input -> json-pick -> output\`, the node a regular activity), ${RUNS} runs started
at once after a warm-up of 30, with 1, 2 and 3 \`tessera worker\` processes (each its own data folder) on one
embedded server. Runs per second = ${RUNS} / wall time from the first start to the last result.

${table(['Worker processes', 'Runs', 'Wall', 'Runs per second', 'vs. one worker', 'Load (1/5/15 min)'], rows)}

On ${os.cpus().length} cores the server, the workers and this client share the same CPUs: more worker processes
help only while the workers, not the server, are what is busy. A deployment scales by adding hosts.`;
  return { body, goals: [] };
}

export const workersPart: Part = { id: 'workers', title: 'Worker processes (issue 12)', minutes: 3, usesEnv: false, run };
