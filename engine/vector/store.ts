/** Named collections of embedded documents, searched by cosine similarity. Kept behind an interface so
 * a PostgreSQL/pgvector store can replace the embedded SQLite one without touching the nodes. */
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
  close(): void;
}
