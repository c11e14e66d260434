/**
 * The soak's world: an embedded Temporal dev server that can be killed and restarted on the same port
 * and database, and real `tessera worker` / `tessera serve` processes that can be SIGKILLed, each with
 * the test nodes as a plugin and a shared data folder (blob store, run index).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadSettings } from '../../engine/config.ts';
import { freePort, startDevServer, type DevServer } from '../../engine/temporal/dev-server.ts';
import { spawnTessera, type TesseraProcess } from '../../test/support/cli.ts';

const PLUGIN = './test/support/test-nodes.ts';

export class SoakWorld {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-soak-'));
  readonly taskQueue = `soak-${process.pid}`;
  server!: DevServer;
  client!: Client;
  private connection?: Connection;
  private port = 0;

  async start(): Promise<void> {
    this.port = await freePort();
    await this.startServer();
  }

  async startServer(): Promise<void> {
    this.server = await startDevServer({ dbFile: path.join(this.dir, 'temporal.db'), port: this.port, uiPort: 0, namespace: 'default', ui: false, cliPath: loadSettings().temporal.cliPath });
    await this.connection?.close().catch(() => undefined);
    this.connection = await Connection.connect({ address: this.server.address });
    this.client = new Client({ connection: this.connection });
  }

  /** SIGKILL of the temporal binary itself (not a graceful stop): what a crash or an OOM kill does. */
  async killServer(): Promise<void> {
    const guard = this.server.process.pid!;
    const children = execFileSync('pgrep', ['-P', String(guard)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
    for (const pid of children) process.kill(Number(pid), 'SIGKILL');
    await new Promise((resolve) => (this.server.process.exitCode !== null ? resolve(undefined) : this.server.process.once('exit', resolve)));
  }

  private env(): Record<string, string> {
    return { TEMPORAL_ADDRESS: this.server.address, TESSERA_TASK_QUEUE: this.taskQueue, TESSERA_DATA_DIR: this.dir, TESSERA_LOG_LEVEL: 'error' };
  }

  worker(): Promise<TesseraProcess> {
    return spawnTessera(['worker', '--plugin', PLUGIN], this.env());
  }

  /** `tessera serve` without keys on loopback; resolves with its base URL. */
  async api(port: number): Promise<{ process: TesseraProcess; url: string }> {
    const api = await spawnTessera(['serve', '--no-auth', '--port', String(port), '--plugin', PLUGIN], this.env());
    return { process: api, url: `http://127.0.0.1:${port}/api/v1` };
  }

  async close(): Promise<void> {
    await this.connection?.close().catch(() => undefined);
    await this.server?.stop();
  }
}

export async function sigkill(proc: TesseraProcess): Promise<void> {
  const exited = new Promise((resolve) => proc.child.once('exit', resolve));
  proc.child.kill('SIGKILL');
  await exited;
}

/** Resident memory of a process in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

/** Bytes under a folder, by its top-level entries (du). */
export function folderSizes(dir: string): Record<string, number> {
  const out = execFileSync('du', ['-sb', ...readdirSync(dir).map((n) => path.join(dir, n))], { encoding: 'utf8' });
  return Object.fromEntries(out.trim().split('\n').map((l) => l.split('\t')).map(([size, file]) => [path.basename(file!), Number(size)]));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
