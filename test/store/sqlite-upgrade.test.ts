/**
 * Upgrading: SQLite files made before Kysely (steps 1-3 recorded in `schema_migrations`, made here by the
 * frozen code of the time, legacy/schema-migrations.ts) open in the Kysely store with their data, get the
 * same schema a new file has, and stay readable by that older code.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../engine/store/migrations.ts';
import { SecretBox } from '../../engine/store/secret-box.ts';
import { SqliteStore } from '../../engine/store/sqlite-store.ts';
import { LEGACY_MIGRATIONS, legacyMigrate } from './legacy/schema-migrations.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'tessera-upgrade-'));
after(() => rmSync(root, { recursive: true, force: true }));
const opened: SqliteStore[] = [];
after(async () => {
  for (const s of opened) await s.close();
});
let n = 0;
const newFile = () => path.join(root, `f${++n}`, 'tessera.db');
async function open(file: string, secretKey?: string): Promise<SqliteStore> {
  const store = await SqliteStore.open(file, { secretKey });
  opened.push(store);
  return store;
}

const KEY = randomBytes(32).toString('hex');
const API_SECRET = `tsk_${randomBytes(24).toString('base64url')}`;
const WEBHOOK_TOKEN = randomBytes(32).toString('base64url');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** A data folder's tessera.db as the store of the time left it, with a little of everything in it. */
function legacyFile(steps = LEGACY_MIGRATIONS.length): string {
  const file = newFile();
  // The old store made the folder and opened the file with these pragmas.
  mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  const box = new SecretBox(Buffer.from(KEY, 'hex'));
  legacyMigrate(db, LEGACY_MIGRATIONS.slice(0, steps), { sealSecret: (plain, context) => box.seal(plain, context) });
  const at = '2026-03-01T10:00:00.000Z';
  const document = JSON.stringify({ format: 'tessera.pipeline/v1', name: 'old', nodes: [], edges: [] });
  db.prepare('INSERT INTO pipelines (id, name, description, latest_version, created_at, updated_at) VALUES (?, ?, ?, 2, ?, ?)').run('pl_old', 'old', 'from before', at, at);
  for (const version of [1, 2]) db.prepare('INSERT INTO pipeline_versions VALUES (?, ?, ?, ?)').run('pl_old', version, document, at);
  db.prepare(`INSERT INTO runs (id, pipeline_id, pipeline_version, pipeline_name, status, trigger_type, trigger_id, inputs, outputs, error, nodes, usage, started_at, ended_at)
    VALUES ('run_old', 'pl_old', 2, 'old', 'succeeded', 'api', NULL, '{"who":"Ada"}', '{"greeting":"hi"}', NULL, '{"a":{"status":"succeeded"}}', NULL, ?, ?)`).run(at, at);
  for (let i = 0; i < 3; i++) db.prepare('INSERT INTO run_events (run_id, type, data, at) VALUES (?, ?, ?, ?)').run('run_old', 'node.progress', JSON.stringify({ i }), at);
  db.prepare('INSERT INTO api_keys (id, name, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?)').run('key_old', 'ci', API_SECRET.slice(0, 12), sha256(API_SECRET), at);
  db.prepare(`INSERT INTO schedules (id, pipeline_id, pipeline_version, spec, overlap, inputs, paused, note, created_at, updated_at)
    VALUES ('sch_old', 'pl_old', NULL, '{"intervals":["1h"]}', 'skip', '{}', 1, 'paused one', ?, ?)`).run(at, at);
  const secretColumn = steps >= 2 ? 'sealed_secret' : 'secret';
  const secret = steps >= 2 ? box.seal('whsec_old_secret_value', 'webhook:wh_old') : 'whsec_old_secret_value';
  db.prepare(`INSERT INTO webhooks (id, pipeline_id, token_hash, ${secretColumn}, created_at) VALUES (?, ?, ?, ?, ?)`).run('wh_old', 'pl_old', sha256(WEBHOOK_TOKEN), secret, at);
  if (steps >= 3) db.prepare('INSERT INTO run_node_outputs VALUES (?, ?, ?)').run('run_old', 'a', '{"text":"hi"}');
  db.close();
  return file;
}

/** Tables, columns, keys, indexes, foreign keys and triggers, in a form that two files can be compared by. */
function schemaOf(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    return {
      tables: Object.fromEntries(
        tables.map((table) => [
          table,
          {
            columns: (db.pragma(`table_xinfo(${table})`) as { name: string; type: string; notnull: number; dflt_value: string | null; pk: number }[]).map((c) => [
              c.name, c.type.toLowerCase(), c.notnull, c.dflt_value, c.pk,
            ]),
            indexes: (db.pragma(`index_list(${table})`) as { name: string; unique: number; origin: string; partial: number }[])
              .map((i) => {
                const columns = (db.pragma(`index_xinfo(${i.name})`) as { name: string | null; desc: number; key: number }[]).filter((c) => c.key).map((c) => `${c.name}${c.desc ? ' desc' : ''}`);
                // Indexes SQLite makes for UNIQUE and PRIMARY KEY constraints are named by position, not by us.
                return [i.origin === 'c' ? i.name : i.origin, i.unique, i.partial, columns.join(',')];
              })
              .sort(),
            foreignKeys: (db.pragma(`foreign_key_list(${table})`) as { table: string; from: string; to: string; on_delete: string }[]).map((f) => [f.from, f.table, f.to, f.on_delete]),
            checks: /CHECK\s*\(/i.test((db.prepare("SELECT sql FROM sqlite_master WHERE name = ?").get(table) as { sql: string }).sql),
          },
        ]),
      ),
      triggers: db.prepare("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all(),
    };
  } finally {
    db.close();
  }
}

test('a file made before Kysely opens with all its data, and its records move to kysely_migration with their dates', async () => {
  const file = legacyFile();
  const before = new Database(file, { readonly: true });
  const legacyRecords = before.prepare('SELECT id, name, applied_at FROM schema_migrations ORDER BY id').all() as { id: number; name: string; applied_at: string }[];
  before.close();
  assert.deepEqual(legacyRecords.map((r) => r.id), [1, 2, 3]);

  const store = await open(file, KEY);
  assert.deepEqual(await store.getPipeline('pl_old'), {
    id: 'pl_old', name: 'old', description: 'from before', latestVersion: 2, createdAt: '2026-03-01T10:00:00.000Z', updatedAt: '2026-03-01T10:00:00.000Z',
  });
  assert.deepEqual((await store.listVersions('pl_old')).map((v) => v.version), [1, 2]);
  assert.equal((await store.updatePipeline('pl_old', { format: 'tessera.pipeline/v1', name: 'new', nodes: [], edges: [] }))?.version.version, 3);
  const oldRun = await store.getRun('run_old');
  assert.deepEqual([oldRun?.status, oldRun?.inputs, oldRun?.outputs], ['succeeded', { who: 'Ada' }, { greeting: 'hi' }]);
  const events = await store.eventsAfter('run_old', 0);
  assert.deepEqual(events.map((e) => e.data), [{ i: 0 }, { i: 1 }, { i: 2 }]);
  const next = await store.appendEvent('run_old', 'run.finished', {});
  assert.ok(next.seq > events[2].seq, 'event ids go on from the old ones');
  assert.deepEqual(await store.getNodeOutputs('run_old', 'a'), { text: 'hi' });
  assert.equal((await store.verifyApiKey(API_SECRET))?.id, 'key_old');
  const [sch] = await store.listSchedules();
  assert.deepEqual([sch.id, sch.paused, sch.note], ['sch_old', true, 'paused one']);
  assert.equal((await store.findWebhookByToken(WEBHOOK_TOKEN))?.secret, 'whsec_old_secret_value');
  await store.close();

  const db = new Database(file, { readonly: true });
  const steps = db.prepare('SELECT name, timestamp FROM kysely_migration ORDER BY name').all() as { name: string; timestamp: string }[];
  assert.deepEqual(
    steps.slice(0, legacyRecords.length),
    legacyRecords.map((r) => ({ name: MIGRATIONS[r.id - 1].key, timestamp: r.applied_at })),
    'the steps it had are not run again, and keep their dates',
  );
  assert.deepEqual(steps.slice(legacyRecords.length).map((r) => r.name), MIGRATIONS.slice(legacyRecords.length).map((m) => m.key), 'the steps after them are applied');
  assert.deepEqual(
    (db.prepare('SELECT id, name, applied_at FROM schema_migrations ORDER BY id').all() as typeof legacyRecords).slice(0, legacyRecords.length),
    legacyRecords,
    'the old records stay as they were',
  );
  db.close();
});

test('a file the old code had taken only to step 1 gets the later steps, its plaintext webhook secret sealed', async () => {
  const file = legacyFile(1);
  const store = await open(file, KEY);
  assert.equal((await store.findWebhookByToken(WEBHOOK_TOKEN))?.secret, 'whsec_old_secret_value');
  await store.saveNodeOutputs('run_old', { a: { text: 'now' } });
  await store.close();
  const db = new Database(file, { readonly: true });
  assert.deepEqual((db.prepare('SELECT name FROM kysely_migration ORDER BY name').all() as { name: string }[]).map((r) => r.name), MIGRATIONS.map((m) => m.key));
  assert.deepEqual((db.prepare('SELECT id FROM schema_migrations ORDER BY id').all() as { id: number }[]).map((r) => r.id), MIGRATIONS.map((m) => m.id));
  assert.match((db.prepare('SELECT sealed_secret FROM webhooks').get() as { sealed_secret: string }).sealed_secret, /^v1\./);
  db.close();
});

test('an upgraded file has exactly the schema of a file made new', async () => {
  const upgraded = legacyFile();
  await (await open(upgraded, KEY)).close();
  const fresh = newFile();
  await (await open(fresh, KEY)).close();
  assert.deepEqual(schemaOf(upgraded), schemaOf(fresh));
  assert.ok(schemaOf(fresh).tables.pipeline_versions.checks, 'the version check is there');
});

test('the code from before Kysely reads the step records of a file made by this one: it refuses a newer schema, and its statements still work', async () => {
  const fresh = newFile();
  const store = await open(fresh, KEY);
  const { pipeline } = await store.createPipeline({ format: 'tessera.pipeline/v1', name: 'made new', nodes: [], edges: [] });
  await store.close();
  const db = new Database(fresh);
  if (MIGRATIONS.length === LEGACY_MIGRATIONS.length) assert.deepEqual(legacyMigrate(db), [], 'the old runner finds nothing to do, and no newer step to refuse');
  // Steps added since (4: the output cache) make the old runner refuse the file rather than run on it.
  else assert.throws(() => legacyMigrate(db), /newer than this Tessera knows/);
  // The statements the old store ran work unchanged.
  assert.equal((db.prepare('SELECT * FROM pipelines WHERE id = ?').get(pipeline.id) as { name: string }).name, 'made new');
  db.prepare("INSERT INTO schedules (id, pipeline_id, spec, overlap, inputs, paused, created_at, updated_at) VALUES ('s', ?, '{}', 'skip', '{}', 1, 'x', 'x')").run(pipeline.id);
  db.close();
});
