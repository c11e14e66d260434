/**
 * The embedded Temporal UI has no access control: a `tessera dev --auth` must not serve it unless asked
 * with --ui, and then says loudly that it is open. Real `tessera dev` processes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { freePort } from '../../engine/temporal/dev-server.ts';
import { spawnTessera } from '../support/cli.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function devWithAuth(extraArgs: string[]) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-ui-'));
  dirs.push(dir);
  const uiPort = await freePort();
  const env = { TESSERA_DATA_DIR: dir, TESSERA_TEMPORAL_PORT: String(await freePort()), TESSERA_TEMPORAL_UI_PORT: String(uiPort), TESSERA_TASK_QUEUE: `ui${uiPort}` };
  const dev = await spawnTessera(['dev', '--auth', '--port', '0', ...extraArgs], env);
  return { dev, uiPort };
}

test('with API keys required, the Temporal UI is off unless --ui asks for it, and then a warning says it is open', async () => {
  const off = await devWithAuth([]);
  try {
    assert.match(off.dev.stderr(), /Temporal UI off because API keys are required/);
    assert.equal(await listening(off.uiPort), false, 'nothing listens on the UI port');
  } finally {
    await off.dev.stop();
  }
  const on = await devWithAuth(['--ui']);
  try {
    assert.match(on.dev.stderr(), /Temporal UI: http:\/\/\S+ \(WARNING: it needs no key/);
    assert.equal(await listening(on.uiPort), true);
  } finally {
    await on.dev.stop();
  }
});
