/** The two vector stores as the shared suite (vector-suite.ts) sees them. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { PgVectorStore } from '../../engine/vector/pg-store.ts';
import { SqliteVectorStore } from '../../engine/vector/sqlite-store.ts';
import type { VectorStore } from '../../engine/vector/store.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';

export interface VectorBackend {
  name: 'sqlite' | 'postgres';
  /** An empty vector store of its own, and a way to open the same one again (as another worker would). */
  fresh(): Promise<{ store: VectorStore; reopen(): VectorStore }>;
}

function closer() {
  const opened: VectorStore[] = [];
  after(async () => {
    for (const store of opened) await store.close();
  });
  return <S extends VectorStore>(store: S): S => {
    opened.push(store);
    return store;
  };
}

export function sqliteVectors(): VectorBackend {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tessera-vectors-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const track = closer();
  let n = 0;
  return {
    name: 'sqlite',
    async fresh() {
      const file = path.join(root, `v${++n}`, 'vectors.db');
      return { store: track(new SqliteVectorStore(file)), reopen: () => track(new SqliteVectorStore(file)) };
    },
  };
}

/** A database of the test file's own with pgvector created in it, a schema per store. */
export function pgVectors(): VectorBackend & { database(): Promise<TestDatabase> } {
  let database: Promise<TestDatabase> | undefined;
  after(async () => {
    await (await database?.catch(() => undefined))?.drop();
  });
  const track = closer();
  const get = () => (database ??= createTestDatabase({ extensions: ['vector'] }));
  return {
    name: 'postgres',
    database: get,
    async fresh() {
      const { url } = await (await get()).freshSchema({ withPublic: true });
      return { store: track(new PgVectorStore(url)), reopen: () => track(new PgVectorStore(url)) };
    },
  };
}
