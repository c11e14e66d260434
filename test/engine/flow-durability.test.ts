/**
 * Waiting survives restarts: an approval waits while its worker is SIGKILLed and then while the Temporal
 * dev server itself is stopped and started again on the same database, and is then approved; a delay's
 * timer fires for a worker started after the one that began it was killed. Workers run as `tessera worker`
 * child processes, as in production.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { RunPipelineResult } from '../../engine/run/plan.ts';
import { nodeStatusQuery } from '../../engine/run/start.ts';
import { startDevServer, type DevServer } from '../../engine/temporal/dev-server.ts';
import { decideApprovalUpdate } from '../../workflows/contract.ts';
import { createTemporalEnv, pipeline, type TemporalEnv } from '../support/temporal-env.ts';
import { spawnTessera } from '../support/cli.ts';
import { waitFor } from '../support/wait-for.ts';

let env: TemporalEnv;
/** The dev server started again by the first test (env.close() stops only the one it started). */
let restarted: DevServer | undefined;

before(async () => {
  env = await createTemporalEnv();
});
after(async () => {
  await env?.close();
  await restarted?.stop();
});

async function startWorkerProcess(): Promise<ChildProcess> {
  const args = ['worker', '--task-queue', env.taskQueue, '--data-dir', env.dir];
  return (await spawnTessera(args, { TEMPORAL_ADDRESS: env.server.address })).child;
}

async function kill(worker: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  worker.kill(signal);
  await exited;
}

test('an approval waits through a worker kill and a dev server restart, then is approved', async () => {
  const doc = pipeline(
    'durable-review',
    [
      { id: 'draft', type: 'input', params: { name: 'draft', kind: 'json' } },
      { id: 'review', type: 'approval', params: {} },
      { id: 'name', type: 'json-pick', params: { path: 'name' } },
      { id: 'out', type: 'output', params: { name: 'name' } },
    ],
    ['draft.value->review.value', 'review.value->name.json', 'name.text->out.value'],
  );
  let worker = await startWorkerProcess();
  const handle = await env.start(doc, { draft: { name: 'Ada' } });
  await waitFor(async () => (await handle.query(nodeStatusQuery)).review?.status === 'waiting', { what: 'the approval to wait' });
  await kill(worker);

  // The server goes away and comes back on the same database and port.
  const port = Number(env.server.address.split(':').at(-1));
  await env.server.stop();
  env.server = restarted = await startDevServer({ dbFile: path.join(env.dir, 'temporal.db'), port, uiPort: 0, namespace: 'default', ui: false });

  worker = await startWorkerProcess();
  try {
    await waitFor(async () => (await handle.query(nodeStatusQuery)).review?.status === 'waiting', { what: 'the approval to be waiting after the restarts' });
    await handle.executeUpdate(decideApprovalUpdate, { args: [{ nodeId: 'review', approve: true, value: { name: 'Ada Lovelace' } }] });
    const result = (await handle.result()) as RunPipelineResult;
    assert.equal(result.outputs.name, 'Ada Lovelace');
    assert.equal(result.nodes.review.approval?.decision, 'approved');
  } finally {
    await kill(worker, 'SIGTERM');
  }
});

test('a delay fires for the next worker after the one that started it was killed', async () => {
  const doc = pipeline(
    'durable-delay',
    [
      { id: 'text', type: 'input', params: { name: 'text', kind: 'text' } },
      { id: 'wait', type: 'delay', params: { kind: 'text', duration: '3s' } },
      { id: 'out', type: 'output', params: { name: 'text' } },
    ],
    ['text.value->wait.value', 'wait.value->out.value'],
  );
  const first = await startWorkerProcess();
  const handle = await env.start(doc, { text: 'on time' });
  await waitFor(async () => (await handle.query(nodeStatusQuery)).wait?.status === 'waiting', { what: 'the delay to wait' });
  await kill(first);
  const second = await startWorkerProcess();
  try {
    const result = (await handle.result()) as RunPipelineResult;
    assert.equal(result.outputs.text, 'on time');
    assert.ok(Date.parse(result.nodes.wait.endedAt!) - Date.parse(result.nodes.wait.startedAt!) >= 3000);
  } finally {
    await kill(second, 'SIGTERM');
  }
});
