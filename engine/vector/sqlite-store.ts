/**
 * The embedded vector store: one SQLite file (better-sqlite3) in the data folder. Vectors are stored as
 * float32 blobs and searched by brute-force cosine similarity, which is exact and fast enough for the
 * tens of thousands of documents a local collection holds; the pgvector store is for more.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { NodeError } from '../node-sdk/define-node.ts';
import type { Embedding } from '../ports.ts';
import { cosine } from './cosine.ts';
import type { VectorHit, VectorRecord, VectorStore } from './store.ts';

export class SqliteVectorStore implements VectorStore {
  private opened?: Database.Database;

  /** The database file is created on first use, so runs that never index leave no file behind. */
  constructor(private readonly file: string) {}

  private get db(): Database.Database {
    if (this.opened) return this.opened;
    mkdirSync(path.dirname(this.file), { recursive: true });
    const db = new Database(this.file);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.exec(`CREATE TABLE IF NOT EXISTS vectors (
      collection TEXT NOT NULL,
      id TEXT NOT NULL,
      model TEXT NOT NULL,
      dims INTEGER NOT NULL,
      vector BLOB NOT NULL,
      document TEXT NOT NULL,
      PRIMARY KEY (collection, id)
    )`);
    this.opened = db;
    return db;
  }

  async upsert(collection: string, records: VectorRecord[]): Promise<number> {
    const existing = this.db.prepare('SELECT model, dims FROM vectors WHERE collection = ? LIMIT 1').get(collection) as
      | { model: string; dims: number }
      | undefined;
    for (const record of records) {
      const model = existing?.model ?? records[0].embedding.model;
      const dims = existing?.dims ?? records[0].embedding.vector.length;
      if (record.embedding.model !== model || record.embedding.vector.length !== dims) {
        throw new NodeError(
          'EMBEDDING_MISMATCH',
          `Collection "${collection}" holds ${dims}-dimensional vectors of model "${model}"; document "${record.id}" has ${record.embedding.vector.length} of "${record.embedding.model}".`,
        );
      }
    }
    const insert = this.db.prepare(
      `INSERT INTO vectors (collection, id, model, dims, vector, document) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (collection, id) DO UPDATE SET model = excluded.model, dims = excluded.dims, vector = excluded.vector, document = excluded.document`,
    );
    this.db.transaction(() => {
      for (const r of records) {
        insert.run(collection, r.id, r.embedding.model, r.embedding.vector.length, Buffer.from(new Float32Array(r.embedding.vector).buffer), JSON.stringify(r.document ?? null));
      }
    })();
    return records.length;
  }

  async search(collection: string, query: Embedding, topK: number): Promise<VectorHit[]> {
    const rows = this.db.prepare('SELECT id, model, vector, document FROM vectors WHERE collection = ?').iterate(collection) as Iterable<{
      id: string;
      model: string;
      vector: Buffer;
      document: string;
    }>;
    const hits: VectorHit[] = [];
    for (const row of rows) {
      if (row.model !== query.model) {
        throw new NodeError('EMBEDDING_MISMATCH', `Collection "${collection}" was indexed with model "${row.model}", the query uses "${query.model}".`);
      }
      const vector = new Float32Array(row.vector.buffer, row.vector.byteOffset, row.vector.byteLength / 4);
      hits.push({ id: row.id, score: cosine(query.vector, vector), document: JSON.parse(row.document) });
    }
    return hits.sort((a, b) => b.score - a.score).slice(0, topK);
  }

  async count(collection: string): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM vectors WHERE collection = ?').get(collection) as { n: number }).n;
  }

  close(): void {
    this.opened?.close();
    this.opened = undefined;
  }
}
