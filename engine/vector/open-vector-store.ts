/**
 * The vector store a worker uses: pgvector in the store's PostgreSQL when TESSERA_DATABASE_URL is set (so
 * every worker of a deployment shares the collections), else the SQLite file in the data folder. A server
 * that does not answer stops the worker's start-up (DATABASE_UNREACHABLE); the tables and the extension
 * are made when a node first indexes.
 */
import type { VectorStore } from './store.ts';

export async function openVectorStore(settings: { databaseUrl?: string }, sqliteFile: string): Promise<VectorStore> {
  if (!settings.databaseUrl) {
    const { SqliteVectorStore } = await import('./sqlite-store.ts');
    return new SqliteVectorStore(sqliteFile);
  }
  const { PgVectorStore } = await import('./pg-store.ts');
  const store = new PgVectorStore(settings.databaseUrl);
  try {
    await store.connect();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
