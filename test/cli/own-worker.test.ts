/**
 * `tessera run` next to a running `tessera dev`, as a newcomer does it in two terminals:
 *   - the run's nodes run in the CLI's own process (a task queue of its own), so a provider key exported
 *     in the CLI's shell is used even though the dev worker, polling the shared queue, has none;
 *   - the run id is printed when the run starts;
 *   - Ctrl-C cancels the run (also while a node waits to retry), prints one line and exits 130;
 *   - retries show the attempt, the wait before the next one and the last error.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { ROOT, startDev, tessera, type DevProcess } from '../support/cli.ts';
import { startFakeProviders, type FakeProviders } from '../support/fake-provider-server.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-own-worker-'));
let dev: DevProcess;
let fake: FakeProviders;
let connection: Connection;
let client: Client;

before(async () => {
  fake = await startFakeProviders();
  // The dev worker has no provider keys at all, as with a plain `npm start`.
  dev = await startDev(path.join(dir, 'data'), { OPENAI_API_KEY: '', OPENAI_BASE_URL: '' }, ['--no-api']);
  connection = await Connection.connect({ address: `127.0.0.1:${dev.env.TESSERA_TEMPORAL_PORT}` });
  client = new Client({ connection });
});

after(async () => {
  await connection?.close();
  await dev?.stop();
  await fake?.close();
});

const write = (name: string, doc: unknown) => {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(doc));
  return file;
};

test('a key exported in the CLI\'s shell is used: the run\'s nodes run in the CLI, on a queue of its own', async () => {
  const file = write('llm.json', {
    format: 'tessera.pipeline/v1',
    name: 'ask',
    nodes: [
      { id: 'q', type: 'input', params: { name: 'q', kind: 'text' } },
      { id: 'ask', type: 'llm', params: { provider: 'openai', model: 'gpt-4o-mini', prompt: '{{q}}' } },
      { id: 'out', type: 'output', params: { name: 'answer' } },
    ],
    edges: [
      { from: 'q.value', to: 'ask.q' },
      { from: 'ask.text', to: 'out.value' },
    ],
  });
  fake.script('chat', { text: 'Forty-two.' });
  const env = { ...dev.env, OPENAI_API_KEY: 'sk-cli-only', OPENAI_BASE_URL: fake.openaiBaseURL };
  const result = await tessera(['run', file, '-i', 'q=What is the answer?', '--json'], { env });
  assert.equal(result.code, 0, result.stderr);
  const body = JSON.parse(result.stdout);
  assert.equal(body.outputs.answer, 'Forty-two.');
  assert.equal(fake.requestsTo('chat').at(-1)?.rawKey, 'sk-cli-only');

  // Not on the shared queue the dev worker polls (there, the dev worker could take the node without the key).
  const description = await client.workflow.getHandle(body.runId).describe();
  assert.match(description.taskQueue, new RegExp(`^${dev.env.TESSERA_TASK_QUEUE}-cli-[0-9a-f]{8}$`));
  assert.match(result.stderr, new RegExp(`^run ${body.runId} started; nodes run in this process$`, 'm'));
});

test('with --shared-queue a worker lacking the key says which worker it is and what to do', async () => {
  const file = write('llm-shared.json', {
    format: 'tessera.pipeline/v1',
    name: 'ask-shared',
    nodes: [
      { id: 'ask', type: 'llm', params: { provider: 'openai', model: 'gpt-4o-mini', prompt: 'hello' } },
      { id: 'out', type: 'output', params: { name: 'answer' } },
    ],
    edges: [{ from: 'ask.text', to: 'out.value' }],
  });
  // This CLI has no key either, so whichever worker takes the node lacks it; the message names that one.
  const result = await tessera(['run', file, '--shared-queue', '--json'], { env: { ...dev.env, OPENAI_API_KEY: '', OPENAI_BASE_URL: '' } });
  assert.equal(result.code, 1, result.stderr);
  const { error } = JSON.parse(result.stdout);
  assert.equal(error.nodeId, 'ask');
  assert.match(error.message, /Provider "openai" is not configured on the worker that ran this node \(pid \d+ on [^,]+, "tessera (dev|run)"\): set OPENAI_API_KEY .* in that worker's environment and restart it/);
  const description = await client.workflow.getHandle(JSON.parse(result.stdout).runId).describe();
  assert.equal(description.taskQueue, dev.env.TESSERA_TASK_QUEUE);
});

test('Ctrl-C while a node waits to retry cancels the run, prints one line with the run id and exits 130', async () => {
  const journal = path.join(dir, 'flaky.jsonl');
  const file = write('waits-to-retry.json', {
    format: 'tessera.pipeline/v1',
    name: 'waits-to-retry',
    nodes: [
      // Fails once, then waits ten minutes before its next attempt: Ctrl-C lands during that wait.
      { id: 'flaky', type: 'test-flaky', params: { failures: 5, journal }, options: { retry: { maximumAttempts: 5, initialInterval: '10m', maximumInterval: '10m' } } },
      { id: 'out', type: 'output', params: { name: 'x' } },
    ],
    edges: [{ from: 'flaky.out', to: 'out.value' }],
  });
  const child = spawn(process.execPath, [`${ROOT}bin/tessera.js`, 'run', file, '--plugin', './test/support/test-nodes.ts'], {
    cwd: ROOT,
    env: { ...process.env, TEMPORAL_ADDRESS: '', ...dev.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  await until(() => child.exitCode !== null || (/^run (run-\S+) started/m.test(stderr) && existsSync(journal) && readFileSync(journal, 'utf8').includes('"attempt"')), () => stderr);
  assert.equal(child.exitCode, null, stderr);
  const runId = /^run (run-\S+) started/m.exec(stderr)![1];

  child.kill('SIGINT');
  const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const code = await exited;
  clearTimeout(guard);
  assert.equal(code, 130, stderr);
  const errorLines = stderr.split('\n').filter((l) => l.startsWith('error '));
  assert.deepEqual(errorLines, [`error RUN_CANCELLED: Run ${runId} was cancelled (Ctrl-C).`]);
  const description = await client.workflow.getHandle(runId).describe();
  assert.equal(description.status.name, 'CANCELLED');
});

test('retries are visible: attempt N/M, the wait before the next attempt and the last error', async () => {
  const file = write('retries-once.json', {
    format: 'tessera.pipeline/v1',
    name: 'retries-once',
    nodes: [
      // A wait long enough that the once-a-second look at the run cannot miss it.
      { id: 'flaky', type: 'test-flaky', params: { failures: 1 }, options: { retry: { maximumAttempts: 3, initialInterval: '15s', maximumInterval: '15s' } } },
      { id: 'out', type: 'output', params: { name: 'x' } },
    ],
    edges: [{ from: 'flaky.out', to: 'out.value' }],
  });
  const result = await tessera(['run', file, '--plugin', './test/support/test-nodes.ts'], { env: dev.env });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /^node flaky retrying: attempt 2\/3 in \d+ s; last error: transient failure 1$/m);
  assert.match(result.stdout, /x: ok after 2/);
});

async function until(condition: () => boolean, context: () => string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`condition not met; stderr so far: ${context()}`);
}
