/**
 * The store on SQLite: the shared suite (store-suite.ts), then what only a file has: the folder and file
 * created, WAL, ':memory:', secrets absent from the file's bytes, and the old `schema_migrations` records
 * of files made before Kysely (more in sqlite-upgrade.test.ts).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../engine/store/migrations.ts';
import { SqliteStore } from '../../engine/store/sqlite-store.ts';
import { sqliteBackend } from './backends.ts';
import { doc } from './store-suite.ts';
import { storeSuite } from './store-suite.ts';

storeSuite(sqliteBackend());

const root = mkdtempSync(path.join(os.tmpdir(), 'tessera-sqlite-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const opened: SqliteStore[] = [];
after(async () => {
  for (const s of opened) await s.close();
});
/** A fresh store in its own (not yet existing) folder, so the constructor's mkdir is exercised too. */
async function freshStore(): Promise<{ store: SqliteStore; file: string }> {
  const file = path.join(root, `s${++n}`, 'nested', 'tessera.db');
  const store = await SqliteStore.open(file);
  opened.push(store);
  return { store, file };
}

test('opening creates the folder, the file and the schema in WAL mode, recorded for Kysely and in schema_migrations', async () => {
  const { store, file } = await freshStore();
  assert.ok(existsSync(file));
  await store.createPipeline(doc('kept'));
  await store.close();
  const db = new Database(file, { readonly: true });
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.deepEqual((db.prepare('SELECT name FROM kysely_migration ORDER BY name').all() as { name: string }[]).map((r) => r.name), MIGRATIONS.map((m) => m.key));
  // What a Tessera from before Kysely reads to know whether it may use the file.
  assert.deepEqual(db.prepare('SELECT id, name FROM schema_migrations ORDER BY id').all(), MIGRATIONS.map((m) => ({ id: m.id, name: m.name })));
  db.close();
});

test('the constructor opens without waiting; its methods wait for the migrations, and a failure reaches every call', async () => {
  const { file } = await freshStore();
  const db = new Database(file);
  db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (999, ?, ?)').run('future', new Date().toISOString());
  db.close();
  const store = new SqliteStore(file);
  opened.push(store);
  await assert.rejects(store.ready(), { code: 'STORE_SCHEMA_NEWER', message: /schema version 999, newer than this Tessera knows/ });
  await assert.rejects(store.listPipelines(), { code: 'STORE_SCHEMA_NEWER' });
  await assert.rejects(SqliteStore.open(file), { code: 'STORE_SCHEMA_NEWER' });

  const fresh = new SqliteStore(path.join(root, 'lazy', 'tessera.db'));
  opened.push(fresh);
  assert.equal((await fresh.createPipeline(doc('first call'))).version.version, 1, 'the first call waits for the schema');
});

test("':memory:' gives a working throwaway store", async () => {
  const store = await SqliteStore.open(':memory:');
  opened.push(store);
  const { pipeline } = await store.createPipeline(doc('mem'));
  assert.match(pipeline.id, /^pl_[0-9a-z]{20}$/);
  assert.equal((await store.listPipelines()).items.length, 1);
});

test('api key secrets and webhook tokens are in none of the file bytes, before or after the checkpoint at close', async () => {
  const { store, file } = await freshStore();
  const { secret } = await store.createApiKey('ci');
  const { pipeline } = await store.createPipeline(doc('hooked'));
  const { token } = await store.createWebhook({ pipelineId: pipeline.id, secret: 'whsec_not_on_disk_1234' });
  const bytes = () => Buffer.concat([file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f)));
  assert.ok(bytes().includes(createHash('sha256').update(secret).digest('hex')), 'the hash is written (so these are the right bytes)');
  for (const value of [secret.slice(12), token, 'whsec_not_on_disk_1234']) assert.ok(!bytes().includes(value));
  await store.close();
  for (const value of [secret.slice(12), token, 'whsec_not_on_disk_1234']) assert.ok(!readFileSync(file).includes(value));
});
