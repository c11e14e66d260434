/**
 * The long-running processes load only what their role needs (issue 15: API + worker memory). A started
 * `tessera serve` (no worker) must not load the Temporal worker SDK (its native Core side), sharp, tesseract
 * or pg; a started `tessera worker` must not load the HTTP server (fastify, prom-client), the store's SQL
 * layer, sharp, tesseract, pg or the Anthropic SDK (even with a key). Each package is loaded on first use
 * instead (a native connection, an image, a PostgreSQL URL, the API, a call to Anthropic). The processes
 * run with test/support/load-recorder-register.mjs, which prints every package they loaded, through ES
 * module imports and through require() (CommonJS, on SIGUSR2).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startDevServer, type DevServer } from '../../engine/temporal/dev-server.ts';
import { loadWorkflowBundle } from '../../engine/worker/workflow-bundle.ts';
import { ROOT, spawnTessera } from '../support/cli.ts';
import { BUNDLE_CACHE } from '../support/temporal-env.ts';

const RECORDER = path.join(ROOT, 'test/support/load-recorder-register.mjs');

let dir: string;
let server: DevServer;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-service-load-'));
  server = await startDevServer({ dbFile: path.join(dir, 'temporal.db'), port: 0, uiPort: 0, namespace: 'default', ui: false });
  await loadWorkflowBundle(BUNDLE_CACHE); // the worker below reuses the bundle instead of running webpack
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `tessera <args>` until "ready", runs `whileUp`, and returns the packages it had loaded by then. */
async function packagesLoaded(name: string, args: string[], whileUp: (stderr: string) => Promise<void> = async () => {}, env: Record<string, string> = {}): Promise<Set<string>> {
  const dataDir = path.join(dir, name);
  mkdirSync(dataDir);
  cpSync(BUNDLE_CACHE, path.join(dataDir, 'cache'), { recursive: true });
  const proc = await spawnTessera(args, {
    TEMPORAL_ADDRESS: server.address,
    TESSERA_DATA_DIR: dataDir,
    TESSERA_LOG_LEVEL: 'error',
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${RECORDER}`.trim(),
    ...env,
  });
  try {
    await whileUp(proc.stderr());
    proc.child.kill('SIGUSR2'); // the recorder adds the packages that were require()d
    const deadline = Date.now() + 30_000;
    while (!proc.stderr().includes('loaded-packages-end\n')) {
      assert.ok(Date.now() < deadline && proc.child.exitCode === null, `no list of packages: ${proc.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await proc.stop();
  }
  return new Set(proc.stderr().split('\n').filter((l) => l.startsWith('loaded-package ')).map((l) => l.slice('loaded-package '.length)));
}

const present = (loaded: Set<string>, names: string[]) => names.filter((n) => loaded.has(n));

test('tessera serve (no worker) answers without loading the Temporal worker SDK, sharp, tesseract or pg', async () => {
  const loaded = await packagesLoaded('serve', ['serve', '--no-auth', '--port', '0'], async (stderr) => {
    const api = /API: (http:\/\/\S+\/api\/v1)/.exec(stderr)?.[1];
    assert.ok(api, stderr);
    const health = await fetch(`${api}/health`);
    assert.equal(health.status, 200, await health.text());
  });
  // The recorder saw the process's packages: the API's own are there.
  assert.deepEqual(present(loaded, ['fastify', '@temporalio/client', 'better-sqlite3']), ['fastify', '@temporalio/client', 'better-sqlite3']);
  assert.deepEqual(present(loaded, ['@temporalio/worker', '@temporalio/core-bridge', 'sharp', 'tesseract.js', 'pg']), []);
});

test('tessera worker loads neither the HTTP server nor the store, sharp, tesseract, pg or the Anthropic SDK until a node needs them', async () => {
  const loaded = await packagesLoaded('worker', ['worker'], async () => {}, { ANTHROPIC_API_KEY: 'sk-ant-not-a-key' });
  assert.deepEqual(present(loaded, ['@temporalio/worker', 'openai']), ['@temporalio/worker', 'openai']);
  assert.deepEqual(present(loaded, ['fastify', '@fastify/static', '@fastify/swagger', 'prom-client', 'kysely', 'sharp', 'tesseract.js', 'pg', '@anthropic-ai/sdk']), []);
});
