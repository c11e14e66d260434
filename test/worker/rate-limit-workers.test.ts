/**
 * The per-provider rate limit shared by workers, end to end: three `tessera worker` processes (separate
 * data folders, sharing only the Temporal server and the PostgreSQL store of TESSERA_DATABASE_URL) run an
 * `llm` node mapped over 18 texts against the fake provider server, under TESSERA_RATE_LIMITS='openai=4/s'.
 * The fake server timestamps every request it receives: no window of one second holds more than 4, and
 * every worker made calls (each has its own API key, which the fake server records by a hash), so the
 * limit held across processes, not within each.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { validatePipeline } from '../../engine/pipeline/validate.ts';
import { startRun, type RunPipelineResult } from '../../engine/run/start.ts';
import { createRegistry } from '../../nodes/index.ts';
import { spawnTessera, type TesseraProcess } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { startFakeProviders, type FakeProviders } from '../support/fake-provider-server.ts';
import { createTemporalEnv, pipeline, type TemporalEnv } from '../support/temporal-env.ts';
import { maxInAnyWindow } from './windows.ts';

let env: TemporalEnv;
let database: TestDatabase;
let fake: FakeProviders;
const workers: TesseraProcess[] = [];

before(async () => {
  [env, database, fake] = await Promise.all([createTemporalEnv(), createTestDatabase(), startFakeProviders()]);
});
after(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await fake?.close();
  await env?.close();
  await database?.drop();
});

test('three workers sharing one PostgreSQL store never send a provider more than its limit per interval', async () => {
  const { schema, url } = await database.freshSchema();
  const limit = 4;
  const items = Array.from({ length: 18 }, (_, i) => `item ${i}`);
  // Arrival times as the fake provider sees them, with the worker each came from (its key's hash).
  const arrivals: { t: number; keyId?: string }[] = [];
  fake.script('chat', ...items.map(() => (req: { auth: { keyId?: string } }) => {
    arrivals.push({ t: Date.now(), keyId: req.auth.keyId });
    return {};
  }));

  await Promise.all([1, 2, 3].map(async (n) => {
    const worker = await spawnTessera(['worker', '--task-queue', env.taskQueue, '--data-dir', path.join(env.dir, `worker-${n}`), '--concurrency', '6'], {
      TEMPORAL_ADDRESS: env.server.address,
      TESSERA_DATABASE_URL: url,
      TESSERA_SECRET_KEY: 'ab'.repeat(32),
      TESSERA_RATE_LIMITS: `openai=${limit}/s`,
      OPENAI_API_KEY: `sk-worker-${n}`,
      OPENAI_BASE_URL: fake.openaiBaseURL,
      ANTHROPIC_API_KEY: '',
    });
    workers.push(worker);
    assert.match(worker.stderr(), /^rate limits: openai 4\/s \(shared through PostgreSQL postgres:\/\/.+\)$/m);
    assert.match(worker.stderr(), /^worker concurrency: 6 activities at once$/m);
  }));

  const doc = pipeline(
    'rate-limited',
    [
      { id: 'items', type: 'input', params: { name: 'items', kind: 'text[]' } },
      // 18 items at once over 3 workers of 6 slots: every worker holds some while they wait for the limit.
      { id: 'ask', type: 'llm', params: { provider: 'openai', model: 'gpt-4o-mini', prompt: 'Repeat: {{text}}' }, map: { port: 'text', concurrency: 18 } },
      { id: 'answers', type: 'output', params: { name: 'answers' } },
    ],
    ['items.value->ask.text', 'ask.text->answers.value'],
  );
  const valid = validatePipeline(doc, createRegistry());
  assert.ok(valid.ok, JSON.stringify(!valid.ok && valid.errors));
  const handle = await startRun(env.client, valid.value, { items }, { taskQueue: env.taskQueue, origin: 'cli', blobs: env.blobs });
  const result = (await handle.result()) as RunPipelineResult;

  assert.equal((result.outputs.answers as string[]).length, items.length);
  assert.equal(arrivals.length, items.length, 'one request per item, none refused or repeated');
  const times = arrivals.map((a) => a.t);
  assert.equal(maxInAnyWindow(times, 1000), limit, `at most ${limit} requests reached the provider in any one second (and the load reached ${limit})`);
  const byWorker = new Set(arrivals.map((a) => a.keyId));
  assert.equal(byWorker.size, 3, 'all three workers made calls: the limit held across processes');
  const slots = await database.query<{ n: number }>('SELECT count(*)::int AS n FROM rate_limit_slots WHERE provider = $1 AND holder IS NULL', ['openai'], schema);
  assert.equal(slots[0].n, limit, 'the limit\'s slots are in the store, all handed back');
});
