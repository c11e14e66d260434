import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `tessera` command in a child process, as users run it: bin/tessera.js, which runs the
 * compiled dist/ when it is of the sources as they are (npm test compiles it first) and the sources
 * through tsx otherwise, so a test never runs old code (test/cli/compiled-cli.test.ts).
 */
export function tessera(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${ROOT}bin/tessera.js`, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, TEMPORAL_ADDRESS: '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface TesseraProcess {
  child: ChildProcess;
  stderr(): string;
  /** SIGINT, then waits for the exit. */
  stop(): Promise<void>;
}

/** Spawns a long-running `tessera` command (worker, dev) and resolves once it prints "ready". */
export async function spawnTessera(args: string[], env: Record<string, string>): Promise<TesseraProcess> {
  const child = spawn(process.execPath, [`${ROOT}bin/tessera.js`, ...args], {
    cwd: ROOT,
    env: { ...process.env, TEMPORAL_ADDRESS: '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (stderr.includes('ready\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`tessera ${args[0]} exited (${code}): ${stderr}`)));
  });
  return {
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    },
  };
}

export interface DevProcess extends TesseraProcess {
  env: Record<string, string>;
}

/**
 * Starts `tessera dev --no-ui` on a free port with its own data folder; `tessera run` given `env` connects
 * to it instead of starting a server of its own.
 */
export async function startDev(dataDir: string, extraEnv: Record<string, string> = {}, args: string[] = []): Promise<DevProcess> {
  const { freePort } = await import('../../engine/temporal/dev-server.ts');
  return onFreePorts(async () => {
    const port = await freePort();
    const env = { TESSERA_TEMPORAL_PORT: String(port), TESSERA_DATA_DIR: dataDir, TESSERA_TASK_QUEUE: `q${port}`, ...extraEnv };
    return { env, ...(await spawnTessera(['dev', '--no-ui', '--port', '0', ...args], env)) };
  });
}

/**
 * Ports are picked free, but another test process may take one between the pick and the server binding
 * it (test files run in parallel): a start refused for a taken port is tried again, picking fresh ports.
 */
export async function onFreePorts<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= attempts || !/(API|TEMPORAL)_PORT_IN_USE/.test(String((err as Error)?.message))) throw err;
    }
  }
}
