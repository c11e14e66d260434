/**
 * The store on PostgreSQL: the shared suite (store-suite.ts) against the server on this machine (a
 * database of this file's own, dropped at the end), then what only PostgreSQL has: the URL and connection
 * errors of start-up, the column types, several processes migrating at once, and the factory's choice.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { TesseraError } from '../../engine/errors.ts';
import { MIGRATIONS } from '../../engine/store/migrations.ts';
import { openStore } from '../../engine/store/open-store.ts';
import { parseDatabaseUrl } from '../../engine/store/pg-pool.ts';
import { PgStore } from '../../engine/store/pg-store.ts';
import { SqliteStore } from '../../engine/store/sqlite-store.ts';
import type { Store } from '../../engine/store/types.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { postgresBackend } from './backends.ts';
import { doc } from './store-suite.ts';
import { storeSuite } from './store-suite.ts';

storeSuite(postgresBackend());

let database: TestDatabase;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tessera-pg-'));
const opened: Store[] = [];
before(async () => {
  database = await createTestDatabase();
});
after(async () => {
  for (const store of opened) await store.close();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});
const track = <S extends Store>(store: S): S => {
  opened.push(store);
  return store;
};

const coded = (code: string, message?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof TesseraError, `a TesseraError, got ${String(err)}`);
  assert.equal(err.code, code);
  if (message) assert.match(err.message, message);
  return true;
};

test('a malformed TESSERA_DATABASE_URL is DATABASE_URL_INVALID, and the message never shows the password', async () => {
  for (const [url, said] of [
    ['not a url', /does not parse as a URL/],
    ['mysql://me:hunter2@db/tessera', /is not a PostgreSQL URL/],
    ['http://me:hunter2@db/tessera', /is not a PostgreSQL URL/],
    ['postgres://me:hunter2@/tessera', /does not parse as a URL/],
  ] as const) {
    assert.throws(() => parseDatabaseUrl(url), coded('DATABASE_URL_INVALID', said), url);
    await assert.rejects(openStore({ dataDir, databaseUrl: url }), (err: unknown) => {
      coded('DATABASE_URL_INVALID')(err);
      assert.ok(!(err as Error).message.includes('hunter2'), (err as Error).message);
      return true;
    });
  }
  assert.equal(parseDatabaseUrl('postgres://me:hunter2@db:5433/tessera').display, 'postgres://me:***@db:5433/tessera');
  assert.equal(parseDatabaseUrl('postgresql:///tessera?host=/run/postgresql').url, 'postgresql:///tessera?host=/run/postgresql', 'a Unix socket is a server too');
});

test('a server that does not answer, or a database that does not exist, is DATABASE_UNREACHABLE at once', async () => {
  // A port with nothing listening: taken, then closed again.
  const port = await new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
  const started = Date.now();
  await assert.rejects(
    openStore({ dataDir, databaseUrl: `postgres://postgres:hunter2@127.0.0.1:${port}/tessera` }),
    (err: unknown) => {
      coded('DATABASE_UNREACHABLE', new RegExp(`Cannot connect to PostgreSQL at postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${port}/tessera: .*ECONNREFUSED`))(err);
      assert.ok(!(err as Error).message.includes('hunter2'));
      return true;
    },
  );
  assert.ok(Date.now() - started < 5000, 'refused at once, not after the connect timeout');
  await assert.rejects(openStore({ dataDir, databaseUrl: database.url().replace(database.name, `${database.name}_missing`) }), coded('DATABASE_UNREACHABLE', /does not exist/));
});

test('openStore picks PostgreSQL with TESSERA_DATABASE_URL and SQLite in the data folder without', async () => {
  const { url } = await database.freshSchema();
  const pgStore = track(await openStore({ dataDir, databaseUrl: url }));
  assert.ok(pgStore instanceof PgStore);
  const sqlite = track(await openStore({ dataDir }));
  assert.ok(sqlite instanceof SqliteStore);
  await pgStore.createPipeline(doc('in postgres'));
  assert.equal((await sqlite.listPipelines()).items.length, 0);
});

test('columns have PostgreSQL types: timestamptz, json (kept as written), boolean, bigint sequences', async () => {
  const { schema, url } = await database.freshSchema();
  track(await PgStore.open(url, { dataDir }));
  const columns = await database.query<{ table_name: string; column_name: string; data_type: string; collation_name: string | null }>(
    `SELECT table_name, column_name, data_type, collation_name FROM information_schema.columns WHERE table_schema = $1`,
    [schema],
  );
  const type = (table: string, column: string) => columns.find((c) => c.table_name === table && c.column_name === column);
  assert.equal(type('runs', 'started_at')?.data_type, 'timestamp with time zone');
  assert.equal(type('runs', 'inputs')?.data_type, 'json');
  assert.equal(type('runs', 'id')?.collation_name, 'C', 'run ids sort bytewise, as on SQLite');
  assert.equal(type('schedules', 'paused')?.data_type, 'boolean');
  assert.equal(type('run_events', 'seq')?.data_type, 'bigint');
  assert.equal(type('api_keys', 'seq')?.data_type, 'bigint', 'insertion order where SQLite has rowid');
});

test('three processes opening one empty database at once: one migrates, the others wait and find it done', async () => {
  const { schema, url } = await database.freshSchema();
  const stores = await Promise.all([0, 1, 2].map(() => PgStore.open(url, { dataDir, poolSize: 2 })));
  stores.forEach(track);
  const records = await database.query<{ name: string }>('SELECT name FROM kysely_migration ORDER BY name', [], schema);
  assert.deepEqual(records.map((r) => r.name), MIGRATIONS.map((m) => m.key));
  const { pipeline } = await stores[0].createPipeline(doc('shared'));
  assert.equal((await stores[2].getPipeline(pipeline.id))?.name, 'shared');
});

test("another application's Kysely migrations in another schema of the database do not confuse the store's", async () => {
  const first = await database.freshSchema();
  track(await PgStore.open(first.url, { dataDir }));
  const second = await database.freshSchema();
  const store = track(await PgStore.open(second.url, { dataDir }));
  assert.equal((await store.createPipeline(doc('second schema'))).version.version, 1);
  assert.equal((await database.query('SELECT name FROM kysely_migration', [], second.schema)).length, MIGRATIONS.length);
});
