/** Named collections of embedded documents, searched by cosine similarity: the embedded SQLite store
 * (sqlite-store.ts, exact) or pgvector (pg-store.ts, HNSW) when TESSERA_DATABASE_URL is set
 * (open-vector-store.ts chooses); the nodes see only this interface. */
import type { Embedding } from '../ports.ts';

export interface VectorRecord {
  id: string;
  embedding: Embedding;
  document: unknown;
}

export interface VectorHit {
  id: string;
  score: number;
  document: unknown;
}

export interface VectorStore {
  upsert(collection: string, records: VectorRecord[]): Promise<number>;
  search(collection: string, query: Embedding, topK: number): Promise<VectorHit[]>;
  count(collection: string): Promise<number>;
  /** PostgreSQL's returns a promise (its connections closing); SQLite's closes at once. */
  close(): void | Promise<void>;
}
