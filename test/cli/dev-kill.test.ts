/**
 * `kill -9` of `tessera dev` must not leave its embedded Temporal server running: before, the `temporal`
 * child kept the ports and the next `npm start` silently reused it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { freePort, portAnswers } from '../../engine/temporal/dev-server.ts';
import { spawnTessera } from '../support/cli.ts';

test('after SIGKILL of tessera dev its Temporal server goes away and frees the port', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-dev-kill-'));
  const port = await freePort();
  const dev = await spawnTessera(['dev', '--no-api', '--no-ui'], { TESSERA_TEMPORAL_PORT: String(port), TESSERA_DATA_DIR: dir });
  assert.match(dev.stderr(), new RegExp(`embedded Temporal server at 127.0.0.1:${port}`));
  assert.equal(await portAnswers(port), true);

  const exited = new Promise((resolve) => dev.child.once('exit', resolve));
  dev.child.kill('SIGKILL');
  await exited;

  // The server gets SIGTERM from its guard and shuts down; wait for the port with a generous bound.
  let answers = true;
  for (let i = 0; i < 600 && answers; i++) {
    answers = await portAnswers(port);
    if (answers) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(answers, false, `port ${port} is still held after tessera dev was killed`);
});
