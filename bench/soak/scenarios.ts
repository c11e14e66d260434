/**
 * The soak's scenarios. Each returns a row of figures; none asserts timings. Completed nodes are counted
 * by their side effects (the test nodes' journals), so "ran twice" is observed, not assumed.
 */
import path from 'node:path';
import { TesseraClient } from '../../engine/api/client/client.ts';
import { FsBlobStore } from '../../engine/blob/fs-store.ts';
import { validatePipeline } from '../../engine/pipeline/validate.ts';
import type { RunPipelineResult } from '../../engine/run/plan.ts';
import { startRun } from '../../engine/run/start.ts';
import { freePort } from '../../engine/temporal/dev-server.ts';
import { createRegistry } from '../../nodes/index.ts';
import { pipeline } from '../../test/support/temporal-env.ts';
import { readJournal, testNodes } from '../../test/support/test-nodes.ts';
import { greetingPipeline } from '../../test/support/fixtures.ts';
import { folderSizes, rssMiB, sigkill, sleep, type SoakWorld } from './world.ts';

const registry = createRegistry(testNodes);

/** first (count) -> slow (sleeps, heartbeats) -> last (count): each journals what it did. */
function chain(name: string, journal: string, sleepMs: number) {
  return pipeline(
    name,
    [
      { id: 'first', type: 'test-count', params: { journal } },
      { id: 'slow', type: 'test-sleep', params: { ms: sleepMs, journal }, options: { heartbeatTimeout: '1s' } },
      { id: 'last', type: 'test-count', params: { journal } },
      { id: 'out', type: 'output', params: { name: 'trail' } },
    ],
    ['first.out->slow.in', 'slow.out->last.in', 'last.out->out.value'],
  );
}

function startChain(world: SoakWorld, name: string, journal: string, sleepMs: number) {
  const valid = validatePipeline(chain(name, journal, sleepMs), registry);
  if (!valid.ok) throw new Error(JSON.stringify(valid.errors));
  return startRun(world.client, valid.value, {}, { taskQueue: world.taskQueue, origin: 'cli', blobs: new FsBlobStore(path.join(world.dir, 'blobs')) });
}

/**
 * Did the run give the right result, with every node executed exactly as often as Temporal attempted it?
 * A node whose completion Temporal recorded gets no further attempt, so this proves no finished node ran
 * again; a node running when its completion was lost (a killed worker or server) is attempted again.
 */
function attemptsMatch(result: RunPipelineResult, journal: string): boolean {
  const entries = readJournal(journal);
  const executions = (node: string, event: string) => entries.filter((e) => e.node === node && e.event === event).length;
  const attempts = (node: string) => result.nodes[node]?.attempt ?? 1;
  return (
    result.outputs.trail === 'first;slow;last;' &&
    executions('first', 'ran') === attempts('first') &&
    executions('slow', 'start') === attempts('slow') &&
    executions('last', 'ran') === attempts('last')
  );
}

/** Nodes that ran more than once in a run (their completion was lost with the process that ran them). */
function rerunNodes(result: RunPipelineResult): number {
  return Object.values(result.nodes).filter((n) => (n.attempt ?? 1) > 1).length;
}

export interface Row {
  scenario: string;
  result: string;
  detail: string;
}

export async function workerKills(world: SoakWorld, runs: number): Promise<Row> {
  let worker = await world.worker();
  let completed = 0;
  let once = 0;
  let retried = 0;
  try {
    for (let i = 0; i < runs; i++) {
      const journal = path.join(world.dir, `kill-${i}.jsonl`);
      const handle = await startChain(world, `kill-${i}`, journal, 1500);
      await sleep(Math.floor(Math.random() * 2500)); // somewhere before, during or after the slow node
      await sigkill(worker);
      worker = await world.worker();
      const result = (await handle.result()) as RunPipelineResult;
      completed++;
      if (attemptsMatch(result, journal)) once++;
      retried += rerunNodes(result);
    }
  } finally {
    await worker.stop();
  }
  return {
    scenario: `worker SIGKILLed at a random moment, ${runs} runs`,
    result: `${completed}/${runs} completed; in ${once}/${runs} every node ran exactly as often as Temporal attempted it (no finished node ran again)`,
    detail: `${retried} node executions were interrupted by the kill and attempted again on the new worker`,
  };
}

export async function serverRestart(world: SoakWorld, runs: number): Promise<Row> {
  const worker = await world.worker();
  try {
    const started = [];
    for (let i = 0; i < runs; i++) {
      const journal = path.join(world.dir, `server-${i}.jsonl`);
      started.push({ id: (await startChain(world, `server-${i}`, journal, 3000)).workflowId, journal });
    }
    await sleep(1500);
    await world.killServer();
    await sleep(2000);
    await world.startServer(); // same port, same database file
    let completed = 0;
    let once = 0;
    let retried = 0;
    for (const { id, journal } of started) {
      const result = (await world.client.workflow.getHandle(id).result()) as RunPipelineResult;
      completed++;
      if (attemptsMatch(result, journal)) once++;
      retried += rerunNodes(result);
    }
    return {
      scenario: `Temporal dev server SIGKILLed mid-run and restarted, ${runs} runs in flight`,
      result: `${completed}/${runs} completed; in ${once}/${runs} every node ran exactly as often as Temporal attempted it`,
      detail: `the worker reconnected by itself and runs resumed from the server's SQLite file; ${retried} nodes that were running when the server died (their completion was lost) ran again, finished ones never`,
    };
  } finally {
    await worker.stop();
  }
}

async function savedPipeline(client: TesseraClient, doc: unknown): Promise<string> {
  return (await client.createPipeline(doc as Parameters<TesseraClient['createPipeline']>[0])).pipeline.id;
}

export async function apiKill(world: SoakWorld, runs: number): Promise<Row> {
  const worker = await world.worker();
  const port = await freePort();
  let api = await world.api(port);
  try {
    let client = new TesseraClient({ server: api.url });
    const journal = path.join(world.dir, 'api.jsonl');
    const id = await savedPipeline(client, chain('api-kill', journal, 3000));
    const ids: string[] = [];
    for (let i = 0; i < runs; i++) ids.push((await client.startRun(id, {})).id);
    await sleep(1000);
    await sigkill(api.process);
    api = await world.api(port);
    client = new TesseraClient({ server: api.url });
    const deadline = Date.now() + 180_000;
    let succeeded = 0;
    for (const runId of ids) {
      for (;;) {
        const run = await client.getRun(runId);
        if (run.status !== 'running') {
          if (run.status === 'succeeded' && run.outputs?.trail === 'first;slow;last;') succeeded++;
          break;
        }
        if (Date.now() > deadline) break;
        await sleep(500);
      }
    }
    const ran = readJournal(journal).filter((e) => e.node === 'first' && e.event === 'ran').length;
    return {
      scenario: `API process SIGKILLed mid-run and restarted, ${runs} runs in flight`,
      result: `${succeeded}/${runs} succeeded in the run index after the restart`,
      detail: `the restarted API re-attached to the runs and recorded their outcome; "first" ran ${ran} times for ${runs} runs`,
    };
  } finally {
    await api.process.stop();
    await worker.stop();
  }
}

export async function manyRuns(world: SoakWorld, runs: number, concurrency: number): Promise<Row> {
  const worker = await world.worker();
  const port = await freePort();
  const api = await world.api(port);
  try {
    const client = new TesseraClient({ server: api.url });
    const id = await savedPipeline(client, greetingPipeline('soak-greeting'));
    const runBatch = async (count: number, offset: number) => {
      let next = 0;
      let failed = 0;
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const i = offset + next++;
          const started = await client.startRun(id, { inputs: { who: `n${i}` }, wait: 60 });
          const run = started.done ? started.run : await client.getRun(started.id);
          if (started.done && run.outputs?.message !== `Hello, n${i}!`) failed++;
        }
      }));
      return failed;
    };
    const warm = 100;
    await runBatch(warm, 0);
    await sleep(2000);
    const rss0 = { worker: rssMiB(worker.child.pid!), api: rssMiB(api.process.child.pid!) };
    const sizes0 = folderSizes(world.dir);
    const started = Date.now();
    const failed = await runBatch(runs, warm);
    const seconds = (Date.now() - started) / 1000;
    await sleep(3000); // the index catches up with the last runs
    const rss1 = { worker: rssMiB(worker.child.pid!), api: rssMiB(api.process.child.pid!) };
    const sizes1 = folderSizes(world.dir);
    let indexed = 0;
    let cursor: string | undefined;
    do {
      const page = await client.listRuns({ pipelineId: id, status: 'succeeded', limit: 200, cursor });
      indexed += page.items.length;
      cursor = page.nextCursor;
    } while (cursor);
    const growth = (a: number, b: number) => `${a.toFixed(0)} -> ${b.toFixed(0)} MiB (${(((b - a) / a) * 100).toFixed(1)} %)`;
    const perRun = Object.entries(sizes1).filter(([name]) => /\.db|^blobs$/.test(name)).map(([name, size]) => `${name} ${(((size - (sizes0[name] ?? 0)) / runs) / 1024).toFixed(1)} KiB`).join(', ');
    return {
      scenario: `${runs} runs of a one-node pipeline through the API, ${concurrency} at a time (after ${warm} warm-up runs)`,
      result: `${indexed - warm}/${runs} succeeded in the index, ${failed} wrong outputs; ${(runs / seconds).toFixed(1)} runs/s`,
      detail: `RSS worker ${growth(rss0.worker, rss1.worker)}, API ${growth(rss0.api, rss1.api)}; data folder growth per run: ${perRun}`,
    };
  } finally {
    await api.process.stop();
    await worker.stop();
  }
}
