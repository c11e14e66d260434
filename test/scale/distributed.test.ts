/**
 * The distributed shape on this machine, with real parts sharing nothing but the network: a PostgreSQL
 * store, S3-compatible blobs (moto), a Temporal dev server, two `tessera serve` API processes and three
 * `tessera worker` processes, each with a data folder of its own. 50 runs are started through both APIs
 * (and one by the CLI); one worker and one API are SIGKILLed while the runs are in flight. Every run
 * completes, every run's events reach a client streaming from the surviving API (whichever API started
 * it), and no run has an event twice or misses one.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { freePort, startDevServer, type DevServer } from '../../engine/temporal/dev-server.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { startMoto, type Moto } from '../support/moto.ts';
import { spawnTessera, tessera } from '../support/cli.ts';
import { readSse } from '../support/api-runs.ts';
import { waitFor } from '../support/wait-for.ts';
import { pipeline } from '../support/temporal-env.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-distributed-'));
const BUCKET = 'tessera-distributed';
let database: TestDatabase;
let moto: Moto;
let temporal: DevServer;
let shared: Record<string, string>;
const processes: ChildProcess[] = [];

before(async () => {
  database = await createTestDatabase();
  moto = await startMoto();
  await moto.createBucket(BUCKET);
  temporal = await startDevServer({ dbFile: path.join(dir, 'temporal.db'), port: 0, uiPort: 0, namespace: 'default', ui: false });
  shared = {
    TEMPORAL_ADDRESS: temporal.address,
    TESSERA_TASK_QUEUE: 'distributed',
    TESSERA_DATABASE_URL: database.url(),
    TESSERA_BLOB_URL: `s3://${BUCKET}/blobs`,
    TESSERA_SECRET_KEY: randomBytes(32).toString('base64'),
    ...moto.env,
  };
});

after(async () => {
  for (const child of processes) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await temporal?.stop();
  await moto?.stop();
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** A tessera process with a data folder of its own; only the network is shared. */
async function start(name: string, args: string[]): Promise<ChildProcess> {
  const { child } = await spawnTessera([...args, '--plugin', './test/support/test-nodes.ts'], { ...shared, TESSERA_DATA_DIR: path.join(dir, name) });
  processes.push(child);
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function call(base: string, method: string, route: string, body?: unknown): Promise<any> {
  const response = await fetch(`${base}/api/v1${route}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${route}: ${response.status} ${text}`);
  return JSON.parse(text);
}

test('2 APIs and 3 workers on PostgreSQL and S3: 50 runs survive a killed worker and a killed API, every event streamed once', { timeout: 600_000 }, async () => {
  const ports = [await freePort(), await freePort()];
  const apis = [
    await start('api-1', ['serve', '--no-auth', '--port', String(ports[0])]),
    await start('api-2', ['serve', '--no-auth', '--port', String(ports[1])]),
  ];
  const [one, two] = ports.map((port) => `http://127.0.0.1:${port}`);
  const workers = [await start('worker-1', ['worker']), await start('worker-2', ['worker']), await start('worker-3', ['worker'])];

  const doc = pipeline(
    'distributed',
    [
      { id: 'text', type: 'input', params: { name: 'text', kind: 'text' } },
      { id: 'first', type: 'test-count', params: {} },
      { id: 'slow', type: 'test-sleep', params: { ms: 3000 }, options: { heartbeatTimeout: '1s' } },
      { id: 'last', type: 'text-template', params: { template: '{{t}}done' } },
      { id: 'out', type: 'output', params: { name: 'trail' } },
    ],
    ['text.value->first.in', 'first.out->slow.in', 'slow.out->last.t', 'last.text->out.value'],
  );
  const saved = await call(one, 'POST', '/pipelines', doc);
  const pipelineId = saved.pipeline.id;

  // 50 runs, alternately through each API; every stream is read from the API that will survive.
  const runs: { id: string; text: string; via: string }[] = [];
  for (let i = 0; i < 50; i++) {
    const via = i % 2 === 0 ? one : two;
    const text = `run-${i}:`;
    const started = await call(via, 'POST', `/pipelines/${pipelineId}/runs`, { inputs: { text } });
    runs.push({ id: started.id, text, via });
  }
  const streams = runs.map((run) => readSse(`${two}/api/v1/runs/${run.id}/events`, {}, 300_000));

  // While the runs sleep in `slow`: a worker and the API that started half of them go down hard.
  await waitFor(async () => (await call(two, 'GET', `/runs?limit=200`)).items.filter((r: { status: string }) => r.status === 'running').length >= 10, { what: 'runs to be under way', timeoutMs: 120_000 });
  await kill(workers[0]);
  await kill(apis[0]);
  const killedAt = new Date().toISOString();

  // A run started by the CLI against the same cluster and store appears in the index too.
  const file = path.join(dir, 'cli.pipeline.json');
  writeFileSync(file, JSON.stringify(doc));
  const cli = await tessera(['run', file, '-i', 'text=cli:', '--plugin', './test/support/test-nodes.ts', '--json'], { env: { ...shared, TESSERA_DATA_DIR: path.join(dir, 'cli') } });
  assert.equal(cli.code, 0, cli.stderr + cli.stdout);
  const cliRun = JSON.parse(cli.stdout);
  assert.equal(cliRun.outputs.trail, 'cli:first;slow;done');

  const results = await Promise.all(streams);
  let retried = 0;
  let takenOver = 0;
  for (const [i, run] of runs.entries()) {
    const { status, events } = results[i];
    assert.equal(status, 200, run.id);
    const records = events.map((e) => e.data as unknown as { seq: number; type: string; data: { nodeId?: string; status?: string } });
    const seqs = records.map((r) => r.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `${run.id}: events in order`);
    assert.equal(new Set(seqs).size, seqs.length, `${run.id}: no event twice`);
    const seen = records.map((r) => `${r.type}:${r.data.nodeId ?? ''}`);
    for (const node of ['first', 'slow', 'last']) {
      assert.equal(seen.filter((s) => s === `node.started:${node}`).length, 1, `${run.id}: ${node} started once in ${seen}`);
      assert.equal(seen.filter((s) => s === `node.succeeded:${node}`).length, 1, `${run.id}: ${node} succeeded once in ${seen}`);
    }
    assert.equal(records.at(-1)?.type, 'run.finished', `${run.id}: the stream ends with run.finished`);
    assert.equal(records.at(-1)?.data.status, 'succeeded', run.id);
    // What was streamed is what was stored: nothing lost on the way.
    const stored = await fetch(`${two}/api/v1/runs/${run.id}/events`).then((r) => r.text());
    assert.equal((stored.match(/^id: /gm) ?? []).length, records.length, `${run.id}: stream and store agree`);
    const record = await call(two, 'GET', `/runs/${run.id}`);
    assert.equal(record.status, 'succeeded');
    assert.equal(record.outputs.trail, `${run.text}first;slow;done`);
    if ((record.nodes.slow.attempt ?? 1) > 1) retried += 1;
    if (run.via === one && record.endedAt > killedAt) takenOver += 1;
  }
  // The kills mattered: nodes of the dead worker ran again elsewhere, and runs the dead API followed were
  // finished by the other one.
  assert.ok(retried > 0, 'some slow nodes were on the killed worker and were retried');
  assert.ok(takenOver > 0, 'some runs started through the killed API were followed to their end by the other');

  await waitFor(async () => (await call(two, 'GET', `/runs/${cliRun.runId}`)).status === 'succeeded', { what: 'the CLI run in the index', timeoutMs: 60_000 });
  for (const child of [apis[1], workers[1], workers[2]]) child.kill('SIGTERM');
});
