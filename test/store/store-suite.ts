/**
 * The store's behaviour, one suite for every implementation: sqlite-store.test.ts and pg-store.test.ts run
 * it, each with its backend (backends.ts), next to the tests only their database has.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { TesseraError } from '../../engine/errors.ts';
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import { MIGRATIONS } from '../../engine/store/migrations.ts';
import type { RunRecord, RunStatus, ScheduleRecord, Store, TriggerType } from '../../engine/store/types.ts';
import type { StoreBackend } from './backends.ts';
import { StoreNodeCache } from '../../engine/cache/store-node-cache.ts';

export const doc = (name: string, extra: Partial<Pipeline> = {}): Pipeline => ({ format: 'tessera.pipeline/v1', name, nodes: [], edges: [], ...extra });

export function run(id: string, startedAt: string, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    pipelineId: 'pl_x',
    pipelineVersion: 1,
    pipelineName: 'x',
    status: 'running',
    trigger: { type: 'api' },
    inputs: { who: 'Ada' },
    nodes: { a: { status: 'pending' } },
    startedAt,
    ...extra,
  };
}

function schedule(id: string, pipelineId: string, extra: Partial<ScheduleRecord> = {}): ScheduleRecord {
  const at = new Date().toISOString();
  return { id, pipelineId, spec: { cron: ['0 * * * *'] }, overlap: 'skip', inputs: {}, paused: false, createdAt: at, updatedAt: at, ...extra };
}

const keyError = (err: unknown) => err instanceof TesseraError && err.code === 'SECRET_KEY_INVALID';

export function storeSuite(backend: StoreBackend): void {
  describe(`store on ${backend.name}`, () => {
    test('the output cache: entries stored and read back, cleared by type, counted, evicted least recently used first', async () => {
      const { store } = await backend.fresh();
      const cache = new StoreNodeCache(store, 2000); // about four of the entries below
      const key = (n: number) => n.toString(16).padStart(64, '0');
      const entry = (n: number, type = 't') => ({ outputs: { text: `value ${n} `.padEnd(400, '.') }, type });
      assert.equal(await cache.get(key(1)), undefined);
      await cache.put(key(1), { outputs: { text: 'hello', image: { sha256: 'a'.repeat(64), mime: 'image/png', size: 3 } }, type: 'llm', usage: [{ provider: 'openai', model: 'm', costUsd: 0.01 }] });
      assert.deepEqual(await cache.get(key(1)), { outputs: { text: 'hello', image: { sha256: 'a'.repeat(64), mime: 'image/png', size: 3 } }, type: 'llm', usage: [{ provider: 'openai', model: 'm', costUsd: 0.01 }] });
      await cache.put(key(1), { outputs: { text: 'replaced' }, type: 'llm' });
      assert.deepEqual((await cache.get(key(1)))?.outputs, { text: 'replaced' }, 'a put replaces');
      await cache.put(key(2), { outputs: {}, type: 'ocr' });
      assert.equal((await cache.stats()).entries, 2);
      assert.equal(await cache.clear('llm'), 1);
      assert.equal(await cache.get(key(1)), undefined);
      assert.equal(await cache.clear(), 1);
      assert.deepEqual(await cache.stats(), { entries: 0, bytes: 0, maxBytes: 2000 });

      for (let n = 1; n <= 4; n++) {
        await cache.put(key(n), entry(n));
        await new Promise((r) => setTimeout(r, 5)); // distinct last-use times
      }
      await cache.get(key(1)); // the oldest written, now the most recently used
      await new Promise((r) => setTimeout(r, 5));
      for (let n = 5; n <= 6; n++) {
        await cache.put(key(n), entry(n));
        await new Promise((r) => setTimeout(r, 5));
      }
      await cache.evict();
      const stats = await cache.stats();
      assert.ok(stats.bytes <= 2000, `within the bound (${stats.bytes})`);
      assert.ok(await cache.get(key(1)), 'the entry just used stayed');
      assert.ok(await cache.get(key(6)), 'the newest stayed');
      assert.equal(await cache.get(key(2)), undefined, 'the least recently used went');
    });

    test('opening migrates an empty database; reopening keeps the data and migrates nothing', async () => {
      const { store, reopen, query } = await backend.fresh();
      const { pipeline } = await store.createPipeline(doc('kept'));
      const records = await query('SELECT name FROM kysely_migration ORDER BY name');
      assert.deepEqual(records.map((r) => r.name), MIGRATIONS.map((m) => m.key));
      const again = await reopen();
      assert.equal((await again.getPipeline(pipeline.id))?.name, 'kept');
      assert.equal((await query('SELECT name FROM kysely_migration')).length, MIGRATIONS.length);
    });

    test('a database migrated by a newer Tessera is refused rather than used', async () => {
      const { query, reopen } = await backend.fresh();
      await query('INSERT INTO kysely_migration (name, timestamp) VALUES (?, ?)', ['9999_from_the_future', new Date().toISOString()]);
      await assert.rejects(reopen(), (err: unknown) => {
        assert.ok(err instanceof TesseraError);
        assert.equal(err.code, 'STORE_SCHEMA_NEWER');
        assert.match(err.message, /newer than this Tessera knows/);
        return true;
      });
    });

    test('pipelines: versions increment, are immutable, and the latest is the default', async () => {
      const { store, query } = await backend.fresh();
      const created = await store.createPipeline(doc('p', { description: 'first' }));
      assert.equal(created.version.version, 1);
      assert.equal(created.pipeline.latestVersion, 1);
      assert.equal(created.pipeline.description, 'first');

      const updated = await store.updatePipeline(created.pipeline.id, doc('p2'));
      assert.equal(updated?.version.version, 2);
      assert.equal(updated?.pipeline.latestVersion, 2);
      assert.equal(updated?.pipeline.name, 'p2');
      assert.equal(updated?.pipeline.description, undefined, 'the new document has no description');
      assert.equal(updated?.pipeline.createdAt, created.pipeline.createdAt);
      assert.equal(await store.updatePipeline('pl_missing', doc('x')), undefined);

      assert.equal((await store.getVersion(created.pipeline.id))?.document.name, 'p2', 'latest by default');
      assert.deepEqual((await store.getVersion(created.pipeline.id, 1))?.document, doc('p', { description: 'first' }), 'version 1 unchanged');
      assert.equal(await store.getVersion(created.pipeline.id, 3), undefined);
      assert.deepEqual((await store.listVersions(created.pipeline.id)).map((v) => v.version), [1, 2]);
      assert.ok(!('document' in (await store.listVersions(created.pipeline.id))[0]));

      // Immutability holds even against a direct UPDATE in the database.
      await assert.rejects(query("UPDATE pipeline_versions SET created_at = created_at"), /immutable/);
    });

    test('a document reads back as written: key order, text and numbers kept', async () => {
      const { store } = await backend.fresh();
      const document = {
        format: 'tessera.pipeline/v1', name: 'Ünïcode ✓ "quoted" \\ 𝄞', nodes: [{ id: 'z', type: 'input', params: { zeta: 1, alpha: 1.5e-7, big: 12345678901234, nul: 'a\u0000b' } }],
        edges: [], description: 'line\nbreak',
      } as unknown as Pipeline;
      const { pipeline } = await store.createPipeline(document);
      const got = (await store.getVersion(pipeline.id))!.document;
      assert.equal(JSON.stringify(got), JSON.stringify(document), 'same text, same key order');
    });

    test('pipelines page with cursors in creation order, without duplicates', async () => {
      const { store } = await backend.fresh();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await store.createPipeline(doc(`p${i}`))).pipeline.id);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.listPipelines({ limit: 2, cursor });
        seen.push(...page.items.map((p) => p.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      assert.equal(pages, 3);
      assert.deepEqual(seen, ids);
      assert.equal((await store.listPipelines()).items.length, 5, 'default limit covers them');
      assert.equal((await store.listPipelines()).nextCursor, undefined);
      await assert.rejects(store.listPipelines({ cursor: 'garbage' }), { code: 'REQUEST_INVALID' });
    });

    test('concurrent saves of one pipeline each get their own version', async () => {
      const { store, reopen } = await backend.fresh();
      const other = await reopen();
      const { pipeline } = await store.createPipeline(doc('busy'));
      const saves = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? store : other).updatePipeline(pipeline.id, doc(`v${i}`))));
      assert.deepEqual(saves.map((s) => s!.version.version).sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i + 2));
      assert.equal((await store.getPipeline(pipeline.id))?.latestVersion, 13);
      assert.equal((await store.listVersions(pipeline.id)).length, 13);
    });

    test('deletePipeline removes versions, schedules and webhooks but keeps runs', async () => {
      const { store } = await backend.fresh();
      const { pipeline } = await store.createPipeline(doc('gone'));
      await store.saveSchedule(schedule('sch_1', pipeline.id));
      const { token } = await store.createWebhook({ pipelineId: pipeline.id });
      await store.insertRun(run('run_1', '2026-01-01T00:00:00.000Z', { pipelineId: pipeline.id }));

      assert.equal(await store.deletePipeline(pipeline.id), true);
      assert.equal(await store.deletePipeline(pipeline.id), false);
      assert.equal(await store.getPipeline(pipeline.id), undefined);
      assert.equal(await store.getVersion(pipeline.id), undefined);
      assert.deepEqual(await store.listSchedules(pipeline.id), []);
      assert.equal(await store.findWebhookByToken(token), undefined);
      assert.deepEqual(await store.listWebhooks(pipeline.id), []);
      assert.equal((await store.getRun('run_1'))?.pipelineId, pipeline.id);
    });

    test('runs: insert, get, shallow-merge update, filter and page newest first', async () => {
      const { store } = await backend.fresh();
      const statuses: RunStatus[] = ['running', 'succeeded', 'failed'];
      const triggers: TriggerType[] = ['api', 'webhook', 'schedule'];
      for (let i = 0; i < 9; i++) {
        // Two runs per second share a start time, so the id must break the tie for stable paging.
        const at = `2026-01-01T00:00:0${Math.floor(i / 2)}.000Z`;
        await store.insertRun(run(`run_${i}`, at, { pipelineId: i < 6 ? 'pl_a' : 'pl_b', status: statuses[i % 3], trigger: { type: triggers[i % 3], id: `t${i}` } }));
      }
      const got = await store.getRun('run_0');
      assert.deepEqual(got, run('run_0', '2026-01-01T00:00:00.000Z', { pipelineId: 'pl_a', trigger: { type: 'api', id: 't0' } }));
      assert.equal(await store.getRun('nope'), undefined);

      const all: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listRuns({ limit: 2, cursor });
        all.push(...page.items.map((r) => r.id));
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual(all, ['run_8', 'run_7', 'run_6', 'run_5', 'run_4', 'run_3', 'run_2', 'run_1', 'run_0']);

      const ids = async (filter: Parameters<Store['listRuns']>[0]) => (await store.listRuns(filter)).items.map((r) => r.id);
      assert.deepEqual(await ids({ pipelineId: 'pl_b' }), ['run_8', 'run_7', 'run_6']);
      assert.deepEqual(await ids({ status: 'failed' }), ['run_8', 'run_5', 'run_2']);
      assert.deepEqual(await ids({ trigger: 'webhook' }), ['run_7', 'run_4', 'run_1']);
      assert.deepEqual(await ids({ pipelineId: 'pl_a', status: 'running' }), ['run_3', 'run_0']);
      const first = await store.listRuns({ pipelineId: 'pl_a', limit: 4 });
      assert.deepEqual(first.items.map((r) => r.id), ['run_5', 'run_4', 'run_3', 'run_2']);
      assert.deepEqual(await ids({ pipelineId: 'pl_a', limit: 4, cursor: first.nextCursor }), ['run_1', 'run_0']);

      assert.deepEqual((await store.activeRuns()).map((r) => r.id), ['run_0', 'run_3', 'run_6']);

      const updated = await store.updateRun('run_0', {
        status: 'succeeded',
        outputs: { greeting: 'hi' },
        nodes: { a: { status: 'succeeded' } },
        usage: { calls: 1, inputTokens: 2, outputTokens: 3, audioSeconds: 0, images: 0, costUsd: 0.01 },
        endedAt: '2026-01-01T00:01:00.000Z',
      });
      assert.equal(updated?.status, 'succeeded');
      assert.deepEqual(updated?.outputs, { greeting: 'hi' });
      assert.deepEqual(updated?.inputs, { who: 'Ada' }, 'untouched fields stay');
      assert.equal(updated?.endedAt, '2026-01-01T00:01:00.000Z');
      assert.deepEqual(await store.getRun('run_0'), updated);
      assert.ok(!(await store.activeRuns()).some((r) => r.id === 'run_0'));
      const cleared = await store.updateRun('run_0', { outputs: undefined, error: { code: 'NODE_FAILED', message: 'x' } });
      assert.equal(cleared?.outputs, undefined);
      assert.ok(!('outputs' in cleared!));
      assert.equal(cleared?.error?.code, 'NODE_FAILED');
      assert.equal(await store.updateRun('nope', { status: 'failed' }), undefined);
      await assert.rejects(store.insertRun(run('run_0', '2026-01-02T00:00:00.000Z')), /unique/i);
    });

    test('runs: ids that differ in case and punctuation page in byte order', async () => {
      const { store } = await backend.fresh();
      const ids = ['run-b', 'run_a', 'Run_c', 'run.d', 'runa'];
      for (const id of ids) await store.insertRun(run(id, '2026-01-01T00:00:00.000Z'));
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listRuns({ limit: 2, cursor });
        seen.push(...page.items.map((r) => r.id));
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual(seen, [...ids].sort().reverse());
    });

    test('runs: a list has summaries only (no inputs, outputs or node states); deleteRun removes a run, its events and outputs', async () => {
      const { store } = await backend.fresh();
      const big = 'x'.repeat(1024 * 1024);
      await store.insertRun(run('r1', '2026-01-01T00:00:00.000Z', { inputs: { big } }));
      await store.updateRun('r1', { status: 'succeeded', outputs: { big }, usage: { calls: 0, inputTokens: 0, outputTokens: 0, audioSeconds: 0, images: 0, costUsd: 0 }, endedAt: '2026-01-01T00:00:01.000Z' });
      const { items } = await store.listRuns();
      assert.deepEqual(items, [{
        id: 'r1', pipelineId: 'pl_x', pipelineVersion: 1, pipelineName: 'x', status: 'succeeded', trigger: { type: 'api' },
        usage: { calls: 0, inputTokens: 0, outputTokens: 0, audioSeconds: 0, images: 0, costUsd: 0 },
        startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:01.000Z',
      }]);
      assert.ok(JSON.stringify(items).length < 1000);

      await store.appendEvent('r1', 'node.started', { nodeId: 'a' });
      await store.saveNodeOutputs('r1', { a: { text: 'hi' } });
      assert.equal(await store.deleteRun('r1'), true);
      assert.equal(await store.getRun('r1'), undefined);
      assert.deepEqual(await store.eventsAfter('r1', 0), []);
      assert.equal(await store.getNodeOutputs('r1', 'a'), undefined);
      assert.equal(await store.deleteRun('r1'), false);
    });

    test('node outputs: saved by node, replaced when saved again, absent for others', async () => {
      const { store } = await backend.fresh();
      await store.insertRun(run('r1', '2026-01-01T00:00:00.000Z'));
      await store.saveNodeOutputs('r1', { a: { text: 'one', n: 1 }, b: { json: { deep: [1, 2] } } });
      await store.saveNodeOutputs('r1', { a: { text: 'two' } });
      await store.saveNodeOutputs('r1', {});
      assert.deepEqual(await store.getNodeOutputs('r1', 'a'), { text: 'two' });
      assert.deepEqual(await store.getNodeOutputs('r1', 'b'), { json: { deep: [1, 2] } });
      assert.equal(await store.getNodeOutputs('r1', 'c'), undefined);
      assert.equal(await store.getNodeOutputs('r2', 'a'), undefined);
    });

    test('events: seq increases across runs, eventsAfter resumes after a seq', async () => {
      const { store } = await backend.fresh();
      await store.insertRun(run('r1', '2026-01-01T00:00:00.000Z'));
      await store.insertRun(run('r2', '2026-01-01T00:00:00.000Z'));
      const e1 = await store.appendEvent('r1', 'node.started', { nodeId: 'a' });
      const e2 = await store.appendEvent('r2', 'node.started', { nodeId: 'b' });
      const e3 = await store.appendEvent('r1', 'node.succeeded', { nodeId: 'a' });
      const e4 = await store.appendEvent('r1', 'run.finished', { status: 'succeeded' });
      assert.ok(e1.seq < e2.seq && e2.seq < e3.seq && e3.seq < e4.seq);
      assert.equal(typeof e1.seq, 'number');
      assert.equal(e1.runId, 'r1');
      assert.deepEqual(await store.eventsAfter('r1', 0), [e1, e3, e4]);
      assert.deepEqual(await store.eventsAfter('r1', e1.seq), [e3, e4]);
      assert.deepEqual(await store.eventsAfter('r1', e4.seq), []);
      assert.deepEqual(await store.eventsAfter('r2', 0), [e2]);
      await assert.rejects(store.appendEvent('no-such-run', 'node.started', {}), /foreign key/i);
    });

    test('events appended at once by two stores commit in seq order: a reader resuming after the last seq it saw misses none', async () => {
      const { store, reopen } = await backend.fresh();
      const other = await reopen();
      await store.insertRun(run('r1', '2026-01-01T00:00:00.000Z'));
      const total = 300;
      const seen: number[] = [];
      let writing = true;
      const reader = (async () => {
        let last = 0;
        while (writing || seen.length < total) {
          const events = await store.eventsAfter('r1', last);
          for (const e of events) seen.push(e.seq);
          last = events.at(-1)?.seq ?? last;
          if (!writing && events.length === 0) break;
        }
      })();
      const written = await Promise.all(Array.from({ length: total }, (_, i) => (i % 2 ? store : other).appendEvent('r1', 'node.progress', { i })));
      writing = false;
      await reader;
      assert.equal(new Set(written.map((e) => e.seq)).size, total, 'every seq is distinct');
      assert.deepEqual(seen, written.map((e) => e.seq).sort((a, b) => a - b), 'the reader saw every event, in order, once');
    });

    test('api keys: the secret verifies, a wrong or revoked one does not, and only its hash is stored', async () => {
      const { store, query } = await backend.fresh();
      const { key, secret } = await store.createApiKey('ci');
      assert.match(secret, /^tsk_[A-Za-z0-9_-]{32}$/);
      assert.equal(key.prefix, secret.slice(0, 12));
      assert.equal(key.lastUsedAt, undefined);
      assert.equal(await store.countApiKeys(), 1);

      const verified = await store.verifyApiKey(secret);
      assert.equal(verified?.id, key.id);
      assert.ok(verified?.lastUsedAt);
      assert.equal((await store.listApiKeys())[0].lastUsedAt, verified?.lastUsedAt, 'last use recorded');
      assert.equal(await store.verifyApiKey(secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A')), undefined);
      assert.equal(await store.verifyApiKey(''), undefined);

      const stored = JSON.stringify(await query('SELECT * FROM api_keys'));
      assert.ok(stored.includes(createHash('sha256').update(secret).digest('hex')), 'the hash is stored');
      assert.ok(!stored.includes(secret.slice(12)), 'no part of the secret after the prefix is');

      const other = await store.createApiKey('other');
      const revoked = await store.revokeApiKey(key.prefix);
      assert.equal(revoked?.id, key.id);
      assert.ok(revoked?.revokedAt);
      assert.equal(await store.verifyApiKey(secret), undefined);
      assert.equal((await store.revokeApiKey(key.id))?.revokedAt, revoked?.revokedAt, 'revoking twice keeps the first time');
      assert.equal(await store.revokeApiKey('tsk_nothing'), undefined);
      assert.equal(await store.countApiKeys(), 1, 'only usable keys count');
      assert.equal((await store.verifyApiKey(other.secret))?.id, other.key.id);
      assert.deepEqual((await store.listApiKeys()).map((k) => k.name), ['ci', 'other']);
    });

    test('keys, schedules and webhooks made in the same millisecond list in the order they were made', async () => {
      const { store } = await backend.fresh();
      const names = Array.from({ length: 8 }, (_, i) => `k${i}`);
      for (const name of names) await store.createApiKey(name);
      assert.deepEqual((await store.listApiKeys()).map((k) => k.name), names);
      const { pipeline } = await store.createPipeline(doc('order'));
      const at = '2026-01-01T00:00:00.000Z';
      // Ids drawn so that their order is not the creation order.
      const ids = ['sch_z', 'sch_a', 'sch_m', 'sch_b'];
      for (const id of ids) await store.saveSchedule(schedule(id, pipeline.id, { createdAt: at, updatedAt: at }));
      assert.deepEqual((await store.listSchedules()).map((s) => s.id), ids);
      const hooks: string[] = [];
      for (let i = 0; i < 6; i++) hooks.push((await store.createWebhook({ pipelineId: pipeline.id })).webhook.id);
      assert.deepEqual((await store.listWebhooks(pipeline.id)).map((w) => w.id), hooks);
    });

    test('webhooks: found by token, not once revoked; the token is stored hashed, the secret sealed', async () => {
      const { store, query } = await backend.fresh();
      const { pipeline } = await store.createPipeline(doc('hooked'));
      const secret = `whsec_${randomBytes(24).toString('base64url')}`;
      const { webhook, token } = await store.createWebhook({ pipelineId: pipeline.id, pipelineVersion: 1, secret });
      assert.ok(token.length >= 32);
      assert.match(webhook.id, /^wh_/);
      assert.equal(webhook.signed, true);
      assert.deepEqual(await store.findWebhookByToken(token), webhook);
      assert.equal(await store.findWebhookByToken(token + 'x'), undefined);
      const second = await store.createWebhook({ pipelineId: pipeline.id });
      assert.deepEqual((await store.listWebhooks(pipeline.id)).map((w) => [w.id, w.signed, w.secret]), [[webhook.id, true, undefined], [second.webhook.id, false, undefined]]);

      const stored = JSON.stringify(await query('SELECT * FROM webhooks'));
      assert.ok(!stored.includes(token) && !stored.includes(secret), 'neither the token nor the secret is stored as given');
      assert.match(stored, /v1\./, 'the secret is sealed');

      const revoked = await store.revokeWebhook(webhook.id);
      assert.ok(revoked?.revokedAt);
      assert.equal(await store.findWebhookByToken(token), undefined);
      assert.equal((await store.listWebhooks(pipeline.id)).find((w) => w.id === webhook.id)?.revokedAt, revoked?.revokedAt);
      assert.equal((await store.revokeWebhook(webhook.id))?.revokedAt, revoked?.revokedAt, 'revoking twice keeps the first time');
      assert.equal(await store.revokeWebhook('wh_missing'), undefined);
      await assert.rejects(store.createWebhook({ pipelineId: 'pl_missing' }), /foreign key/i);
    });

    test('a sealed webhook secret opens under its key only: another key is SECRET_KEY_INVALID, never a wrong secret', async () => {
      const key = randomBytes(32).toString('hex');
      const { store, reopen } = await backend.fresh({ secretKey: key });
      const { pipeline } = await store.createPipeline(doc('hooked'));
      const { token } = await store.createWebhook({ pipelineId: pipeline.id, secret: 'a-secret-of-sixteen+' });
      assert.equal((await (await reopen({ secretKey: key })).findWebhookByToken(token))?.secret, 'a-secret-of-sixteen+');
      const wrong = await reopen({ secretKey: randomBytes(32).toString('base64') });
      await assert.rejects(wrong.findWebhookByToken(token), keyError);
      assert.equal((await wrong.listWebhooks(pipeline.id))[0].signed, true, 'listing still works without the key');
    });

    test('schedules: save, get, list, replace, delete', async () => {
      const { store } = await backend.fresh();
      const a = (await store.createPipeline(doc('a'))).pipeline.id;
      const b = (await store.createPipeline(doc('b'))).pipeline.id;
      const s1 = schedule('sch_1', a, { pipelineVersion: 1, note: 'hourly', inputs: { who: 'Ada' }, spec: { intervals: ['1h'], timezone: 'Europe/Lisbon' } });
      await store.saveSchedule(s1);
      await store.saveSchedule(schedule('sch_2', b));
      assert.deepEqual(await store.getSchedule('sch_1'), s1);
      assert.equal(await store.getSchedule('sch_x'), undefined);
      assert.deepEqual((await store.listSchedules()).map((s) => s.id), ['sch_1', 'sch_2']);
      assert.deepEqual((await store.listSchedules(b)).map((s) => s.id), ['sch_2']);

      const paused = { ...s1, paused: true, note: undefined, pipelineVersion: undefined, updatedAt: new Date().toISOString() };
      await store.saveSchedule(paused);
      const got = await store.getSchedule('sch_1');
      assert.equal(got?.paused, true);
      assert.ok(!('note' in got!) && !('pipelineVersion' in got!));
      assert.deepEqual((await store.listSchedules()).map((s) => s.id), ['sch_1', 'sch_2'], 'replacing keeps its place');
      await store.saveSchedule({ ...paused, paused: false });
      assert.equal((await store.getSchedule('sch_1'))?.paused, false);

      assert.equal(await store.deleteSchedule('sch_1'), true);
      assert.equal(await store.deleteSchedule('sch_1'), false);
      assert.deepEqual((await store.listSchedules()).map((s) => s.id), ['sch_2']);
    });

    test('a write that fails part way leaves nothing half saved', async () => {
      const { store, refuseDeletes } = await backend.fresh();
      // JSON.stringify throws on a BigInt after the pipelines row is inserted: the transaction must undo it.
      const bad = { ...doc('bad'), extra: 1n } as unknown as Pipeline;
      await assert.rejects(store.createPipeline(bad), TypeError);
      assert.deepEqual((await store.listPipelines()).items, []);

      const { pipeline } = await store.createPipeline(doc('good'));
      await assert.rejects(store.updatePipeline(pipeline.id, bad), TypeError);
      assert.equal((await store.getPipeline(pipeline.id))?.latestVersion, 1, 'latest_version not bumped');
      assert.deepEqual((await store.listVersions(pipeline.id)).map((v) => v.version), [1]);

      // A delete whose last statement fails keeps the schedules and webhooks it had already removed.
      await store.saveSchedule(schedule('sch_1', pipeline.id));
      const { token } = await store.createWebhook({ pipelineId: pipeline.id });
      await refuseDeletes('pipelines');
      await assert.rejects(store.deletePipeline(pipeline.id), /refused/);
      assert.ok(await store.getSchedule('sch_1'));
      assert.ok(await store.findWebhookByToken(token));
      assert.ok(await store.getVersion(pipeline.id, 1));
      // And the store goes on working after the rollback.
      assert.equal((await store.updatePipeline(pipeline.id, doc('after')))?.version.version, 2);
    });

    test('run follower leases: one holder at a time, taken over once lapsed; fenced writes change nothing for a lost run', async () => {
      const { store } = await backend.fresh();
      await store.insertRun(run('r1', '2026-01-01T00:00:00.000Z'));
      await store.insertRun(run('r2', '2026-01-01T00:00:01.000Z'));
      assert.deepEqual((await store.unfollowedRuns()).map((r) => r.id), ['r1', 'r2']);
      assert.equal(await store.claimRun('r1', 'api-a', 60_000), true);
      assert.equal(await store.claimRun('r1', 'api-b', 60_000), false, 'a current lease is not taken');
      assert.equal(await store.claimRun('r1', 'api-a', 60_000), true, 'its holder renews it');
      assert.deepEqual((await store.unfollowedRuns()).map((r) => r.id), ['r2']);

      const events = await store.recordRunChange('r1', 'api-a', { nodes: { a: { status: 'running' } } }, [{ type: 'node.started', data: { nodeId: 'a' } }]);
      assert.equal(events?.length, 1);
      assert.equal((await store.getRun('r1'))?.nodes.a.status, 'running');
      assert.equal(await store.recordRunChange('r1', 'api-b', { status: 'failed' }, [{ type: 'run.finished', data: {} }]), undefined, 'not the holder');
      assert.equal((await store.getRun('r1'))?.status, 'running');
      assert.deepEqual((await store.eventsAfter('r1', 0)).map((e) => e.type), ['node.started'], 'nothing of the refused write was kept');

      assert.equal(await store.claimRun('r2', 'api-b', 1), true);
      await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual((await store.unfollowedRuns()).map((r) => r.id), ['r2'], 'a lapsed lease makes the run adoptable');
      assert.deepEqual(await store.renewRuns('api-a', ['r1', 'r2'], 60_000), ['r1'], 'renewal answers the runs still held');
      assert.equal(await store.claimRun('r2', 'api-a', 60_000), true, 'a lapsed lease is taken over');
      assert.deepEqual(await store.renewRuns('api-b', ['r2'], 60_000), [], 'the previous holder learns it lost the run');
      assert.equal(await store.recordRunChange('r2', 'api-b', {}, [{ type: 'node.started', data: {} }]), undefined);
      await store.releaseRun('r2', 'api-b');
      assert.equal(await store.claimRun('r2', 'api-b', 60_000), false, 'a release by a non-holder changes nothing');
      await store.releaseRun('r2', 'api-a');
      assert.equal(await store.claimRun('r2', 'api-b', 60_000), true, 'released: anyone may take it');
    });

    test('paging limits: default 50, at most 200', async () => {
      const { store } = await backend.fresh();
      for (let i = 0; i < 210; i++) await store.insertRun(run(`r${String(i).padStart(3, '0')}`, '2026-01-01T00:00:00.000Z'));
      assert.equal((await store.listRuns()).items.length, 50);
      assert.equal((await store.listRuns({ limit: 1000 })).items.length, 200);
      assert.equal((await store.listRuns({ limit: 0 })).items.length, 1);
    });
  });
}
