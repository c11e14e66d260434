/**
 * A local `tessera run` next to `tessera dev` (same data folder, as with `npm start` and `npx tessera run`
 * in one checkout): it prints the run id and the run's Temporal UI link at start, and the dev API knows the
 * run (`GET /runs/:id`, trigger `cli`) and completes its record from Temporal.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '../../engine/temporal/dev-server.ts';
import { spawnTessera, tessera, type TesseraProcess } from '../support/cli.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-run-index-'));
let dev: TesseraProcess;
let env: Record<string, string>;
let api: string;

before(async () => {
  const [port, uiPort] = [await freePort(), await freePort()];
  env = { TESSERA_TEMPORAL_PORT: String(port), TESSERA_TEMPORAL_UI_PORT: String(uiPort), TESSERA_DATA_DIR: path.join(dir, 'data'), TESSERA_TASK_QUEUE: `q${port}` };
  dev = await spawnTessera(['dev', '--port', '0'], env);
  api = /^API: (http:\S+\/api\/v1)/m.exec(dev.stderr())![1];
});

after(async () => dev?.stop());

test('the run id and its Temporal UI link are printed at start, and the dev API indexes the run', async () => {
  const result = await tessera(['run', 'examples/greeting.pipeline.json', '-i', 'who=Ada'], { env });
  assert.equal(result.code, 0, result.stderr);
  const runId = /^run (run-[0-9a-f-]+) started; nodes run in this process$/m.exec(result.stderr)?.[1];
  assert.ok(runId, result.stderr);
  assert.match(result.stderr, new RegExp(`^Temporal UI: http://127\\.0\\.0\\.1:${env.TESSERA_TEMPORAL_UI_PORT}/namespaces/default/workflows/${runId}$`, 'm'));

  // The dev API adopts the record the CLI wrote and completes it from Temporal.
  let run: { status: string; trigger: { type: string }; pipelineName: string; outputs?: Record<string, unknown>; inputs: Record<string, unknown> } | undefined;
  for (let i = 0; i < 600 && run?.status !== 'succeeded'; i++) {
    const response = await fetch(`${api}/runs/${runId}`);
    assert.ok(response.status === 200, `GET /runs/${runId} answered ${response.status}: ${await response.clone().text()}`);
    run = await response.json();
    if (run?.status !== 'succeeded') await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(run?.status, 'succeeded');
  assert.equal(run?.trigger.type, 'cli');
  assert.equal(run?.pipelineName, 'greeting');
  assert.equal(run?.inputs.who, 'Ada');
  assert.deepEqual(run?.outputs, { message: 'Hello, Ada! You live in Lisbon.' });

  const list = await (await fetch(`${api}/runs?trigger=cli`)).json();
  assert.ok(list.items.some((r: { id: string }) => r.id === runId), JSON.stringify(list));
});
