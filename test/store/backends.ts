/**
 * The two store implementations as the shared suite (store-suite.ts) sees them: a fresh store, the same
 * database opened again, and raw SQL beside the store for what a test must set up or check underneath it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import Database from 'better-sqlite3';
import { PgStore } from '../../engine/store/pg-store.ts';
import { SqliteStore } from '../../engine/store/sqlite-store.ts';
import type { Store } from '../../engine/store/types.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';

export interface StoreHandle {
  store: Store;
  /** The same database opened again by another store object (as another process would), optionally with another secret key. */
  reopen(options?: { secretKey?: string }): Promise<Store>;
  /** SQL run on the database directly, not through the store (`?` placeholders on both). */
  query(sql: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Makes every DELETE on the table fail with the message "refused". */
  refuseDeletes(table: string): Promise<void>;
}

export interface StoreBackend {
  name: 'sqlite' | 'postgres';
  /** An empty, migrated store in a database of its own (closed when the test file ends). */
  fresh(options?: { secretKey?: string }): Promise<StoreHandle>;
}

/** Closes what a test file opened, after its tests. */
function closer(): (store: Store) => Store {
  const opened: Store[] = [];
  after(async () => {
    for (const store of opened) await store.close();
  });
  return (store) => {
    opened.push(store);
    return store;
  };
}

export function sqliteBackend(): StoreBackend {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tessera-store-'));
  const track = closer();
  after(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  return {
    name: 'sqlite',
    async fresh(options = {}) {
      const file = path.join(root, `s${++n}`, 'tessera.db');
      const store = track(await SqliteStore.open(file, options));
      const withDb = <T>(fn: (db: Database.Database) => T): T => {
        const db = new Database(file);
        try {
          return fn(db);
        } finally {
          db.close();
        }
      };
      return {
        store,
        reopen: async (again = options) => track(await SqliteStore.open(file, again)),
        query: async (sql, values = []) =>
          withDb((db) => {
            const statement = db.prepare(sql);
            return statement.reader ? (statement.all(...values) as Record<string, unknown>[]) : (statement.run(...values), []);
          }),
        refuseDeletes: async (table) => withDb((db) => void db.exec(`CREATE TRIGGER refuse_${table} BEFORE DELETE ON ${table} BEGIN SELECT RAISE(ABORT, 'refused'); END`)),
      };
    },
  };
}

export function postgresBackend(): StoreBackend {
  let database: Promise<TestDatabase> | undefined;
  const track = closer();
  after(async () => {
    await (await database?.catch(() => undefined))?.drop();
  });
  return {
    name: 'postgres',
    async fresh(options = {}) {
      // Created at the first test, so that a server that is not there fails each test with the reason.
      database ??= createTestDatabase();
      const db = await database;
      const { schema, url } = await db.freshSchema();
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tessera-pg-store-'));
      after(() => rmSync(dataDir, { recursive: true, force: true }));
      const store = track(await PgStore.open(url, { dataDir, ...options }));
      return {
        store,
        reopen: async (again = options) => track(await PgStore.open(url, { dataDir, ...again })),
        query: (sql, values) => {
          let n = 0;
          return db.query(sql.replace(/\?/g, () => `$${++n}`), values, schema);
        },
        refuseDeletes: async (table) => {
          await db.query(`CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$`, [], schema);
          await db.query(`CREATE TRIGGER refuse_${table} BEFORE DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION refuse_delete()`, [], schema);
        },
      };
    },
  };
}
