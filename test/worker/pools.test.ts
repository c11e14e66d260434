/**
 * Worker pools and per-worker concurrency, end to end with real `tessera worker` processes on a Temporal
 * dev server:
 *
 * - a node with `options.pool: "gpu"` waits (its run stays running, the node not started, no attempt spent)
 *   while no worker serves the gpu pool, and runs on the `tessera worker --pool gpu` process once one
 *   starts; nodes of the default pool run on the default worker, never on the gpu one, and the other way
 *   round (each node journals the process that ran it);
 * - `--concurrency 2` (and TESSERA_WORKER_CONCURRENCY) bounds the activities a worker runs at once: with
 *   two slots the third of three ready nodes starts only after one of the first two ended, shown by the
 *   nodes' journaled start and end times.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { validatePipeline } from '../../engine/pipeline/validate.ts';
import { nodeStatusQuery, startRun, type RunPipelineResult } from '../../engine/run/start.ts';
import { createRegistry } from '../../nodes/index.ts';
import { spawnTessera, type TesseraProcess } from '../support/cli.ts';
import { createTemporalEnv, pipeline, type TemporalEnv } from '../support/temporal-env.ts';
import { testNodes } from '../support/test-nodes.ts';
import { intervals, pidNode, readPidJournal } from './pool-nodes.ts';
import { maxOverlap } from './windows.ts';

let env: TemporalEnv;
const processes: TesseraProcess[] = [];
/** The default pool's worker (it also runs the workflows), shared by the tests. */
let main: Promise<TesseraProcess> | undefined;
const mainWorker = () => (main ??= startWorker('main'));
const registry = createRegistry([...testNodes, pidNode]);

before(async () => {
  env = await createTemporalEnv();
});
after(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await env?.close();
});

/** `tessera worker` in a child process, labelled so the nodes it runs can say so. */
async function startWorker(label: string, args: string[] = [], extraEnv: Record<string, string> = {}): Promise<TesseraProcess> {
  const worker = await spawnTessera(
    ['worker', '--plugin', './test/worker/pool-nodes.ts', '--task-queue', env.taskQueue, '--data-dir', path.join(env.dir, `worker-${label}`), ...args],
    { TEMPORAL_ADDRESS: env.server.address, TESSERA_TEST_WORKER: label, ...extraEnv },
  );
  processes.push(worker);
  return worker;
}

function start(doc: unknown) {
  const result = validatePipeline(doc, registry);
  if (!result.ok) throw new Error(`invalid test pipeline: ${JSON.stringify(result.errors)}`);
  return startRun(env.client, result.value, {}, { taskQueue: env.taskQueue, origin: 'cli', blobs: env.blobs });
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a node on the gpu pool waits for a gpu worker, then runs there; each worker serves only its own queue', async () => {
  const journal = path.join(env.dir, 'pools.jsonl');
  const doc = pipeline(
    'pools',
    [
      { id: 'prep', type: 'test-pid', params: { journal } },
      { id: 'render', type: 'test-pid', params: { journal }, options: { pool: 'gpu' } },
      { id: 'out', type: 'output', params: { name: 'trail' } },
    ],
    ['prep.out->render.in', 'render.out->out.value'],
  );
  const main = await mainWorker();
  assert.match(main.stderr(), new RegExp(`^worker on task queue "${env.taskQueue}"; `, 'm'));

  const handle = await start(doc);
  await until('the default node to finish', () => readPidJournal(journal).some((e) => e.node === 'prep' && e.event === 'end'));
  // The gpu node is scheduled on <queue>-gpu, which nobody polls: the run waits, it does not fail.
  await until('the gpu node to be scheduled', async () => ((await handle.describe()).raw.pendingActivities ?? []).some((a) => a.activityId === 'render'));
  for (let look = 0; look < 10; look++) {
    const description = await handle.describe();
    assert.equal(description.status.name, 'RUNNING');
    const pending = (description.raw.pendingActivities ?? []).find((a) => a.activityId === 'render');
    assert.ok(pending, 'the gpu node is still pending');
    assert.equal(pending.attempt, 1, 'no attempt was spent on it');
    assert.equal(Number(pending.state), 1, 'scheduled, not started (PENDING_ACTIVITY_STATE_SCHEDULED)');
    const nodes = await handle.query(nodeStatusQuery);
    assert.equal(nodes.prep.status, 'succeeded');
    assert.equal(nodes.render.status, 'running');
    assert.equal(readPidJournal(journal).filter((e) => e.node === 'render').length, 0, 'the default worker did not run the gpu node');
    await new Promise((r) => setTimeout(r, 300));
  }

  const gpu = await startWorker('gpu', ['--pool', 'gpu'], { TESSERA_WORKER_CONCURRENCY: '1' });
  assert.match(gpu.stderr(), new RegExp(`^worker on task queue "${env.taskQueue}-gpu"; `, 'm'));
  assert.match(gpu.stderr(), /^worker concurrency: 1 activities at once$/m);
  const result = (await handle.result()) as RunPipelineResult;
  assert.equal(result.outputs.trail, 'prep@main;render@gpu;');
  const ran = intervals(readPidJournal(journal));
  assert.equal(ran.get('prep')!.pid, main.child.pid);
  assert.equal(ran.get('render')!.pid, gpu.child.pid);
  assert.notEqual(main.child.pid, gpu.child.pid);

  // With both workers up, a run with several nodes of each pool: every default node on the default worker,
  // every gpu node on the gpu worker (one at a time: it was started with TESSERA_WORKER_CONCURRENCY=1).
  const mixed = path.join(env.dir, 'mixed.jsonl');
  const ids = ['a', 'b', 'c', 'd'];
  const nodes = ids.flatMap((id) => [
    { id: `cpu-${id}`, type: 'test-pid', params: { journal: mixed, ms: 100 } },
    { id: `gpu-${id}`, type: 'test-pid', params: { journal: mixed, ms: 100 }, options: { pool: 'gpu' } },
    { id: `out-cpu-${id}`, type: 'output', params: { name: `cpu-${id}` } },
    { id: `out-gpu-${id}`, type: 'output', params: { name: `gpu-${id}` } },
  ]);
  const edges = ids.flatMap((id) => [`cpu-${id}.out->out-cpu-${id}.value`, `gpu-${id}.out->out-gpu-${id}.value`]);
  await (await start(pipeline('mixed', nodes, edges))).result();
  const mixedRan = intervals(readPidJournal(mixed));
  assert.equal(mixedRan.size, 8);
  for (const [node, where] of mixedRan) {
    assert.equal(where.pid, node.startsWith('gpu-') ? gpu.child.pid : main.child.pid, `${node} ran on the ${node.startsWith('gpu-') ? 'gpu' : 'default'} worker`);
  }
  assert.equal(maxOverlap([...mixedRan].filter(([node]) => node.startsWith('gpu-')).map(([, i]) => i)), 1, 'the gpu worker ran one node at a time');
});

test('--concurrency 2: of three ready nodes, the third starts only after one of the first two ended', async () => {
  const journal = path.join(env.dir, 'concurrency.jsonl');
  // Each node waits until two nodes have started, so the first two provably ran at the same time.
  const nodes = ['one', 'two', 'three'].flatMap((id) => [
    { id, type: 'test-pid', params: { journal, together: 2, ms: 200 }, options: { pool: 'narrow' } },
    { id: `out-${id}`, type: 'output', params: { name: id } },
  ]);
  await mainWorker();
  const narrow = await startWorker('narrow', ['--pool', 'narrow', '--concurrency', '2']);
  assert.match(narrow.stderr(), /^worker concurrency: 2 activities at once$/m);
  await (await start(pipeline('concurrency', nodes, ['one', 'two', 'three'].map((id) => `${id}.out->out-${id}.value`)))).result();

  const ran = [...intervals(readPidJournal(journal)).values()].sort((a, b) => a.start - b.start);
  assert.equal(ran.length, 3);
  assert.ok(ran.every((r) => r.pid === narrow.child.pid));
  assert.equal(maxOverlap(ran), 2, 'two at once, never three');
  const [first, second, third] = ran;
  assert.ok(third.start >= Math.min(first.end, second.end), `the third started (${third.start}) after one of the first two ended (${first.end}, ${second.end})`);
});

test('a --pool or TESSERA_RATE_LIMITS that cannot be used stops the worker with USAGE before it starts', async () => {
  const { tessera } = await import('../support/cli.ts');
  // (The values each setting refuses are unit-tested in rate-limiter.test.ts.)
  const badPool = await tessera(['worker', '--data-dir', path.join(env.dir, 'refused'), '--pool', 'GPU'], { env: { TEMPORAL_ADDRESS: env.server.address } });
  assert.equal(badPool.code, 1, badPool.stderr);
  assert.match(badPool.stderr, /^error USAGE: --pool must be a pool name as nodes give it/m);
  const badLimits = await tessera(['worker', '--data-dir', path.join(env.dir, 'refused')], { env: { TEMPORAL_ADDRESS: env.server.address, TESSERA_RATE_LIMITS: 'openai=lots' } });
  assert.equal(badLimits.code, 1, badLimits.stderr);
  assert.match(badLimits.stderr, /^error USAGE: TESSERA_RATE_LIMITS: "openai=lots" is not a rate limit/m);
});
