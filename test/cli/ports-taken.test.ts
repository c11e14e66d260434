/**
 * A taken port stops `tessera dev` at once with one coded line naming the port and the setting to change
 * (before, a taken API port left it hanging with nothing printed, and a non-Temporal program on the
 * Temporal port gave "Failed to connect before the deadline"). A real Temporal server on the port is
 * reused, and start-up says so.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, startDev, type CliResult, type DevProcess } from '../support/cli.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-ports-'));
let squatter: net.Server;
let squattedPort: number;

before(async () => {
  // A program that accepts connections and never speaks HTTP or gRPC.
  squatter = net.createServer((socket) => socket.on('error', () => undefined));
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  squattedPort = (squatter.address() as net.AddressInfo).port;
});

after(() => new Promise<void>((resolve) => squatter.close(() => resolve())));

/** Runs `tessera dev` and fails (instead of hanging the file) if it has not exited after a generous bound. */
function devExits(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${ROOT}bin/tessera.js`, 'dev', '--no-ui', ...args], {
      cwd: ROOT,
      env: { ...process.env, TEMPORAL_ADDRESS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tessera dev did not exit on its own; stderr: ${stderr}`));
    }, 180_000);
    child.once('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}

test('a taken API port stops tessera dev at once with API_PORT_IN_USE naming the port and the setting', async () => {
  const result = await devExits(['--port', String(squattedPort)], { TESSERA_TEMPORAL_PORT: '0', TESSERA_DATA_DIR: path.join(dir, 'api') });
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, new RegExp(`^error API_PORT_IN_USE: Port ${squattedPort} on 127.0.0.1 is already in use .*--port / TESSERA_API_PORT`));
});

test('a Temporal port held by something else stops tessera dev with TEMPORAL_PORT_IN_USE', async () => {
  const result = await devExits(['--no-api'], { TESSERA_TEMPORAL_PORT: String(squattedPort), TESSERA_DATA_DIR: path.join(dir, 'temporal') });
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, new RegExp(`^error TEMPORAL_PORT_IN_USE: Port ${squattedPort} \\(TESSERA_TEMPORAL_PORT\\) is in use by something that is not a Temporal server`));
});

test('a second tessera dev reuses the running Temporal server, says so, and stops at the taken API port', async () => {
  let first: DevProcess | undefined;
  try {
    first = await startDev(path.join(dir, 'first'), {}, ['--no-api']);
    // The first one's API is off here, so take the second one's API port with the squatter.
    const second = await devExits(['--port', String(squattedPort)], { ...first.env, TESSERA_DATA_DIR: path.join(dir, 'second') });
    assert.equal(second.code, 1, second.stderr);
    assert.match(second.stderr, /^error API_PORT_IN_USE/m);

    const reuser = await startDev(path.join(dir, 'third'), { TESSERA_TEMPORAL_PORT: first.env.TESSERA_TEMPORAL_PORT }, ['--no-api']);
    try {
      assert.match(reuser.stderr(), new RegExp(`reusing the Temporal server already running at 127.0.0.1:${first.env.TESSERA_TEMPORAL_PORT} \\(not started by this command`));
    } finally {
      await reuser.stop();
    }
  } finally {
    await first?.stop();
  }
});
