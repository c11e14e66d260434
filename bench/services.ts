/**
 * Tessera as separate processes, for the measurements of one process's memory: an embedded dev server
 * started as Tessera starts it (engine/temporal/dev-server.ts), a real `tessera worker` (with the bench
 * nodes as a plugin when asked) and, when asked, a real `tessera serve`, sharing a temporary data folder. The `tessera` processes
 * run the compiled CLI (dist/, built here first when it is stale, as `npm test` does); which one ran is
 * reported, since the TypeScript sources through tsx take more memory.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { buildState } from '../bin/build-state.mjs';
import { loadSettings } from '../engine/config.ts';
import { freePort, startDevServer, type DevServer } from '../engine/temporal/dev-server.ts';
import { loadWorkflowBundle } from '../engine/worker/workflow-bundle.ts';
import { spawnTessera, type TesseraProcess } from '../test/support/cli.ts';
import { BUNDLE_CACHE } from './env.ts';
import { childrenOf } from './proc.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const PROBE = fileURLToPath(new URL('./memory-probe.mjs', import.meta.url));

export interface ServicesOptions {
  /** `separate`: a `tessera serve` beside the worker; `with-worker`: one `tessera serve --worker` process is both. */
  api?: 'separate' | 'with-worker';
  /** Load the bench nodes (bench/bench-nodes.ts) into the worker as a plugin (which also loads tsx there). */
  benchNodes?: boolean;
  /** Extra environment of the worker (its AI providers). */
  workerEnv?: Record<string, string>;
  /** Preload bench/memory-probe.mjs into the tessera processes, writing to `<probe>.<pid>`. */
  probe?: string;
  /** Another `temporal` binary (or a wrapper that adds flags), instead of the one Tessera finds. */
  cliPath?: string;
  log(message: string): void;
}

export interface Services {
  dir: string;
  server: DevServer;
  /** The temporal binary's own process (the child of the guard that startDevServer spawns). */
  serverPid: number;
  client: Client;
  taskQueue: string;
  /** The process that runs the worker (the API's own with `api: 'with-worker'`). */
  worker: TesseraProcess;
  api?: { process: TesseraProcess; url: string };
  /** How the tessera processes ran: "compiled (dist/)" or "TypeScript sources through tsx". */
  mode: string;
  close(): Promise<void>;
}

/** Builds dist/ when a source changed since the last build (a build is atomic), and says what will run. */
function ensureCompiled(log: (m: string) => void): string {
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts/build-cli.mjs'), '--if-stale'], { cwd: ROOT, stdio: 'ignore' });
  } catch (err) {
    log(`could not build dist/ (${(err as Error).message.split('\n')[0]}): the CLI runs its sources`);
  }
  return buildState(ROOT) === 'fresh' ? 'compiled (dist/)' : 'TypeScript sources through tsx (dist/ stale)';
}

/** The tessera processes still running: killed when this process exits however it does (a stopped benchmark). */
const running = new Set<TesseraProcess>();
process.once('exit', () => {
  for (const proc of running) proc.child.kill('SIGKILL');
});
function track(proc: TesseraProcess): TesseraProcess {
  running.add(proc);
  proc.child.once('exit', () => running.delete(proc));
  return proc;
}

export async function startServices(options: ServicesOptions): Promise<Services> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-services-'));
  const closers: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };
  try {
    const mode = ensureCompiled(options.log);
    const server = await startDevServer({ dbFile: path.join(dir, 'temporal.db'), port: 0, uiPort: 0, namespace: 'default', ui: false, cliPath: options.cliPath ?? loadSettings().temporal.cliPath });
    closers.push(() => server.stop());
    const connection = await Connection.connect({ address: server.address });
    closers.push(() => connection.close());
    const taskQueue = `bench-${process.pid}`;
    const env: Record<string, string> = { TEMPORAL_ADDRESS: server.address, TESSERA_TASK_QUEUE: taskQueue, TESSERA_DATA_DIR: dir, TESSERA_LOG_LEVEL: 'error' };
    if (options.probe) Object.assign(env, { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${pathToFileURL(PROBE).href}`.trim(), BENCH_MEMORY_PROBE: options.probe });
    // The worker starts as it does the second time in a data folder: its workflow bundle cached, not built
    // by webpack in the process (which would stay in its memory).
    await loadWorkflowBundle(BUNDLE_CACHE);
    cpSync(BUNDLE_CACHE, path.join(dir, 'cache'), { recursive: true });
    const plugin = options.benchNodes ? ['--plugin', './bench/bench-nodes.ts'] : [];
    let api: Services['api'];
    if (options.api) {
      const port = await freePort();
      const both = options.api === 'with-worker';
      const proc = track(await spawnTessera(['serve', '--no-auth', '--port', String(port), ...plugin, ...(both ? ['--worker'] : [])], both ? { ...env, ...options.workerEnv } : env));
      closers.push(() => proc.stop());
      api = { process: proc, url: `http://127.0.0.1:${port}/api/v1` };
    }
    const worker = options.api === 'with-worker' ? api!.process : track(await spawnTessera(['worker', ...plugin], { ...env, ...options.workerEnv }));
    if (worker !== api?.process) closers.push(() => worker.stop());
    options.log(`services in ${dir}: dev server ${server.address}, ${options.api === 'with-worker' ? 'API with its worker' : api ? 'worker and API' : 'worker'}, ${mode}`);
    return { dir, server, serverPid: childrenOf(server.process.pid!)[0] ?? server.process.pid!, client: new Client({ connection }), taskQueue, worker, api, mode, close };
  } catch (err) {
    await close();
    throw err;
  }
}
