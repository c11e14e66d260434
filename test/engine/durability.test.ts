/**
 * Durability: the worker process is killed with SIGKILL while a node is mid-flight; a new worker takes
 * over, the run completes, and nodes that had already completed do not run again.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { RunPipelineResult } from '../../engine/run/plan.ts';
import { createTemporalEnv, pipeline, type TemporalEnv } from '../support/temporal-env.ts';
import { readJournal } from '../support/test-nodes.ts';
import { spawnTessera } from '../support/cli.ts';

let env: TemporalEnv;

before(async () => {
  env = await createTemporalEnv();
});
after(async () => env?.close());

/** `tessera worker` in a child process with the test nodes as a plugin, ready to take tasks. */
async function startWorkerProcess(): Promise<ChildProcess> {
  const args = ['worker', '--plugin', './test/support/test-nodes.ts', '--task-queue', env.taskQueue, '--data-dir', env.dir];
  return (await spawnTessera(args, { TEMPORAL_ADDRESS: env.server.address })).child;
}

test('a run survives SIGKILL of its worker mid-node and completed nodes do not run again', async () => {
  const journal = path.join(env.dir, 'durability.jsonl');
  const doc = pipeline(
    'durable',
    [
      { id: 'first', type: 'test-count', params: { journal } },
      { id: 'slow', type: 'test-sleep', params: { ms: 4000, journal }, options: { heartbeatTimeout: '1s' } },
      { id: 'last', type: 'test-count', params: { journal } },
      { id: 'out', type: 'output', params: { name: 'trail' } },
    ],
    ['first.out->slow.in', 'slow.out->last.in', 'last.out->out.value'],
  );

  const firstWorker = await startWorkerProcess();
  const handle = await env.start(doc);
  const deadline = Date.now() + 60_000;
  while (!readJournal(journal).some((e) => e.node === 'slow' && e.event === 'start')) {
    assert.ok(Date.now() < deadline, 'the slow node never started');
    await new Promise((r) => setTimeout(r, 50));
  }
  const exited = new Promise((resolve) => firstWorker.once('exit', resolve));
  firstWorker.kill('SIGKILL');
  await exited;

  const secondWorker = await startWorkerProcess();
  try {
    const result = (await handle.result()) as RunPipelineResult;
    assert.equal(result.outputs.trail, 'first;slow;last;');
    const entries = readJournal(journal);
    const count = (node: string, event: string) => entries.filter((e) => e.node === node && e.event === event).length;
    assert.equal(count('first', 'ran'), 1, 'the completed node did not run again');
    assert.equal(count('slow', 'start'), 2, 'the interrupted node was retried once');
    assert.equal(count('slow', 'end'), 1);
    assert.equal(count('last', 'ran'), 1);
    assert.equal(result.nodes.slow.attempt, 2);
  } finally {
    secondWorker.kill('SIGTERM');
    await new Promise((resolve) => secondWorker.once('exit', resolve));
  }
});
