/**
 * The embedded Temporal server: `temporal server start-dev` on 127.0.0.1 with its SQLite file in the data
 * folder, so runs survive restarts. Started as a child process (tied to this one's life by
 * child-guard.mjs), awaited until it answers, stopped on close.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { TesseraError } from '../errors.ts';
import { resolveTemporalBinary } from './binary.ts';

const CHILD_GUARD = fileURLToPath(new URL('./child-guard.mjs', import.meta.url));

/**
 * How the embedded server is tuned (issue 15, measured in docs/benchmarks.md). The dev server reads its
 * transfer and timer queues at most 20 times a second by default, and each sequential step of a run needs a
 * read: that alone made every step take about 50 ms. Its SQLite file runs in WAL mode with
 * synchronous=normal: commits no longer wait for an fsync each (about 26 per step before). The trade-off: a
 * crash of the server process loses nothing; a power loss or an OS crash may lose the last moments of
 * history, which a development server on one machine can afford (a production deployment runs a real
 * Temporal cluster, see docs).
 *
 * `temporal server start-dev` keeps the mutable state of up to 8,096 workflows in its host-level cache and
 * lets entries go only when it needs room, so its memory grew by about 65 KiB per run until some 4,000 runs
 * (430 MiB). 512 entries hold about 250 runs at once and keep it near 290 MiB with the same throughput; a run
 * beyond them reloads its state from SQLite at its next task (docs/benchmarks.md, "memory-bounds").
 *
 * Measured for the 16-wide fan-out and left out (bench/fan-out-tuning.ts; docs/benchmarks.md, "Worker
 * tuning"): one task-queue partition (`matching.numTaskqueue{Read,Write}Partitions=1`, 0.98-1.00x the wall
 * time) and `system.enableActivityEagerExecution=true` (0.99x: start-dev already allows eager activities;
 * the worker asks for them, engine/worker/create-worker.ts).
 */
export const DEV_SERVER_TUNING = [
  '--dynamic-config-value', 'history.transferProcessorMaxPollRPS=1000',
  '--dynamic-config-value', 'history.timerProcessorMaxPollRPS=1000',
  '--dynamic-config-value', 'history.hostLevelCacheMaxSize=512',
  '--sqlite-pragma', 'journal_mode=wal',
  '--sqlite-pragma', 'synchronous=normal',
];

export interface DevServerOptions {
  dbFile: string;
  port: number;
  uiPort: number;
  namespace: string;
  cliPath?: string;
  /** Show the UI (default true). */
  ui?: boolean;
  startTimeoutMs?: number;
  /** The tuning below (default on); off only to measure what it buys (bench). */
  tuned?: boolean;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True when something accepts TCP connections on the port (a server already running there). */
export function portAnswers(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Starts the server, retrying when it dies during start-up: the dev server picks random free ports for
 * its internal services, and when several servers start at once one of them can lose that race.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      const diedEarly = err instanceof TesseraError && err.code === 'TEMPORAL_START_FAILED' && (err.details as { exited?: boolean })?.exited;
      if (!diedEarly || attempt >= 3) throw err;
    }
  }
}

async function startOnce(options: DevServerOptions): Promise<DevServer> {
  const binary = resolveTemporalBinary(options.cliPath);
  const port = options.port || (await freePort());
  const uiPort = options.uiPort || (await freePort());
  if (await portAnswers(port)) {
    throw new TesseraError('TEMPORAL_START_FAILED', `Port ${port} is already in use; set TESSERA_TEMPORAL_PORT to a free port or TEMPORAL_ADDRESS to that server.`);
  }
  mkdirSync(path.dirname(options.dbFile), { recursive: true });
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--db-filename', options.dbFile,
    '--namespace', options.namespace,
    '--log-level', 'error',
    ...(options.tuned === false ? [] : DEV_SERVER_TUNING),
    ...(options.ui === false ? ['--headless'] : ['--ui-port', String(uiPort), '--ui-ip', '127.0.0.1']),
  ];
  // Through child-guard.mjs, whose stdin is a pipe from this process: when this process dies (even by
  // SIGKILL) the pipe closes and the guard stops the server, so no orphan keeps the ports.
  const child = spawn(process.execPath, [CHILD_GUARD, binary, ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
  child.stdin?.on('error', () => undefined); // the guard is gone: nothing left to tell
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const address = `127.0.0.1:${port}`;

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) {
      throw new TesseraError('TEMPORAL_START_FAILED', `The embedded Temporal server exited (code ${child.exitCode}): ${firstError(stderr)}`, {
        details: { exited: true },
      });
    }
    if (await answersGrpc(address)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new TesseraError('TEMPORAL_START_FAILED', `The embedded Temporal server did not answer on ${address} in time: ${lastLine(stderr)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { address, uiUrl: options.ui === false ? undefined : `http://127.0.0.1:${uiPort}`, process: child, stop };
}

async function answersGrpc(address: string): Promise<boolean> {
  if (!(await portAnswers(Number(address.split(':')[1])))) return false;
  try {
    const connection = await Connection.connect({ address, connectTimeout: 1000 });
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

/** The line that says what went wrong (a Go panic prints it first, then a long stack). */
function firstError(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean);
  return lines.find((l) => /panic|error|fatal|unable|failed/i.test(l))?.trim() ?? lines.pop() ?? 'no output';
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).pop() ?? 'no output';
}
