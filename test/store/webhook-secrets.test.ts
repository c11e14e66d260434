/**
 * Webhook HMAC secrets at rest: sealed with AES-256-GCM under TESSERA_SECRET_KEY or the data folder's
 * secret.key (mode 0600), never in the SQLite file's bytes (main file, WAL, shared memory), converted
 * from plaintext by migration 2, and refused with SECRET_KEY_INVALID under the wrong key.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { TesseraError } from '../../engine/errors.ts';
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import { SqliteStore } from '../../engine/store/sqlite-store.ts';
import { LEGACY_MIGRATIONS, legacyMigrate } from './legacy/schema-migrations.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'tessera-secrets-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const folder = () => {
  const dir = path.join(root, `d${++n}`);
  mkdirSync(dir);
  return dir;
};
const doc: Pipeline = { format: 'tessera.pipeline/v1', name: 'hooked', nodes: [], edges: [] };

/** Every byte SQLite keeps for the database: the main file, the WAL and the shared-memory index. */
function storedBytes(file: string): Buffer {
  return Buffer.concat([file, `${file}-wal`, `${file}-shm`].filter(existsSync).map((f) => readFileSync(f)));
}
const keyError = (err: unknown) => err instanceof TesseraError && err.code === 'SECRET_KEY_INVALID';

test('a webhook secret is never written in plain text, and reads back for the signature check only', async () => {
  const dir = folder();
  const file = path.join(dir, 'tessera.db');
  const secret = `whsec_${randomBytes(24).toString('base64url')}`;
  const store = new SqliteStore(file);
  const { pipeline } = await store.createPipeline(doc);
  const { webhook, token } = await store.createWebhook({ pipelineId: pipeline.id, secret });
  assert.equal(webhook.signed, true);

  assert.equal(storedBytes(file).includes(secret), false, 'not in the database files while open');
  assert.equal((await store.findWebhookByToken(token))?.secret, secret);
  const [listed] = await store.listWebhooks(pipeline.id);
  assert.equal(listed.signed, true);
  assert.equal(listed.secret, undefined, 'lists never decrypt secrets');
  await store.close();
  assert.equal(storedBytes(file).includes(secret), false, 'nor after the checkpoint at close');

  // The key was generated once into the data folder, readable by its owner only, and is reused.
  const keyFile = path.join(dir, 'secret.key');
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  const again = new SqliteStore(file);
  assert.equal((await again.findWebhookByToken(token))?.secret, secret);
  await again.close();
});

test('migration 2 encrypts the plaintext secrets of an older database and leaves no copy behind', async () => {
  const dir = folder();
  const file = path.join(dir, 'tessera.db');
  const secret = `plain-old-secret-${randomBytes(12).toString('hex')}`;
  // An older store, made by the code of the time: schema 1 only, a webhook whose secret was stored as given.
  const old = new Database(file);
  old.pragma('journal_mode = WAL');
  legacyMigrate(old, LEGACY_MIGRATIONS.slice(0, 1));
  const at = new Date().toISOString();
  old.prepare('INSERT INTO pipelines (id, name, latest_version, created_at, updated_at) VALUES (?, ?, 1, ?, ?)').run('pl_old', 'old', at, at);
  old.prepare('INSERT INTO webhooks (id, pipeline_id, token_hash, secret, created_at) VALUES (?, ?, ?, ?, ?)').run('wh_old', 'pl_old', 'a'.repeat(64), secret, at);
  old.prepare('INSERT INTO webhooks (id, pipeline_id, token_hash, created_at) VALUES (?, ?, ?, ?)').run('wh_unsigned', 'pl_old', 'b'.repeat(64), at);
  old.close();
  assert.equal(readFileSync(file).includes(secret), true, 'the old file holds the secret in plain text');

  const key = randomBytes(32).toString('hex');
  const store = await SqliteStore.open(file, { secretKey: key });
  assert.equal(storedBytes(file).includes(secret), false, 'converted, and no stale copy in free pages or the WAL');
  const hooks = await store.listWebhooks('pl_old');
  assert.deepEqual(hooks.map((w) => [w.id, w.signed]), [['wh_old', true], ['wh_unsigned', false]]);
  await store.close();
  assert.equal(existsSync(path.join(dir, 'secret.key')), false, 'TESSERA_SECRET_KEY given: no key file');

  // The sealed value opens under the same key only, and is bound to its row.
  const db = new Database(file);
  const sealed = (db.prepare('SELECT sealed_secret FROM webhooks WHERE id = ?').get('wh_old') as { sealed_secret: string }).sealed_secret;
  db.close();
  assert.match(sealed, /^v1\./);
  const { SecretBox } = await import('../../engine/store/secret-box.ts');
  assert.equal(new SecretBox(Buffer.from(key, 'hex')).open(sealed, 'webhook:wh_old'), secret);
  assert.throws(() => new SecretBox(Buffer.from(key, 'hex')).open(sealed, 'webhook:wh_unsigned'), keyError);
});

test('the wrong key or a malformed TESSERA_SECRET_KEY is SECRET_KEY_INVALID, never a wrong secret', async () => {
  const dir = folder();
  const file = path.join(dir, 'tessera.db');
  const store = new SqliteStore(file, { secretKey: randomBytes(32).toString('base64') });
  const { pipeline } = await store.createPipeline(doc);
  const { token } = await store.createWebhook({ pipelineId: pipeline.id, secret: 'a-secret-of-sixteen+' });
  await store.close();

  const wrong = new SqliteStore(file, { secretKey: randomBytes(32).toString('hex') });
  await assert.rejects(wrong.findWebhookByToken(token), keyError);
  assert.equal((await wrong.listWebhooks(pipeline.id))[0].signed, true, 'listing and revoking still work without the key');
  await wrong.close();

  for (const bad of ['short', 'z'.repeat(64), randomBytes(16).toString('hex')]) {
    assert.throws(() => new SqliteStore(path.join(folder(), 'tessera.db'), { secretKey: bad }), keyError, bad);
  }
});
