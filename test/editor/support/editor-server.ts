/** A real `tessera dev` (embedded Temporal, worker, API serving the editor) for the browser tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onFreePorts, spawnTessera, tessera, type TesseraProcess } from '../../support/cli.ts';
import type { Browser } from './browser.ts';

export interface EditorServer {
  url: string;
  port: number;
  env: Record<string, string>;
  process: TesseraProcess;
  stop(): Promise<void>;
  /** Starts it again on the same port and data folder (after stop). */
  restart(): Promise<void>;
  /** Creates an API key with `tessera keys create` and returns its secret. */
  createKey(name: string): Promise<string>;
  cleanup(): Promise<void>;
}

/** `env`: more environment for the server (e.g. OPENAI_BASE_URL pointing at the fake provider server). */
export function startEditorServer(options: { auth?: boolean; env?: Record<string, string> } = {}): Promise<EditorServer> {
  return onFreePorts(() => startOnFreePorts(options));
}

async function startOnFreePorts(options: { auth?: boolean; env?: Record<string, string> }): Promise<EditorServer> {
  const { freePort } = await import('../../../engine/temporal/dev-server.ts');
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-editor-e2e-'));
  const temporalPort = await freePort();
  const port = await freePort();
  const env = { TESSERA_TEMPORAL_PORT: String(temporalPort), TESSERA_DATA_DIR: dataDir, TESSERA_TASK_QUEUE: `q${temporalPort}`, ...options.env };
  const args = ['dev', '--no-ui', '--port', String(port), ...(options.auth ? ['--auth'] : [])];
  let started: TesseraProcess;
  try {
    started = await spawnTessera(args, env);
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const server: EditorServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    env,
    process: started,
    stop: () => server.process.stop(),
    async restart() {
      server.process = await spawnTessera(args, env);
    },
    async createKey(name) {
      const result = await tessera(['keys', 'create', name, '--json'], { env });
      if (result.code !== 0) throw new Error(`tessera keys create failed: ${result.stderr}`);
      return (JSON.parse(result.stdout) as { secret: string }).secret;
    },
    async cleanup() {
      await server.process.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

/**
 * The server and a browser, started side by side. When one fails the other is stopped before the error
 * goes on: a browser left open would keep the test file's process alive until its timeout.
 */
export async function startServerAndBrowser(
  server: () => Promise<EditorServer>,
  browser: () => Promise<Browser>,
): Promise<{ server: EditorServer; browser: Browser }> {
  const [s, b] = await Promise.allSettled([server(), browser()]);
  if (s.status === 'fulfilled' && b.status === 'fulfilled') return { server: s.value, browser: b.value };
  if (s.status === 'fulfilled') await s.value.cleanup();
  if (b.status === 'fulfilled') await b.value.close();
  throw s.status === 'rejected' ? s.reason : (b as PromiseRejectedResult).reason;
}
