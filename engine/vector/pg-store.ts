/**
 * The vector store on PostgreSQL with pgvector, used when TESSERA_DATABASE_URL is set (the store's
 * database). A collection is a row of `vector_collections` (its model and dimensions, fixed by its first
 * document, as in the SQLite store); its vectors are rows of `vectors` with their JSON document. Each
 * collection gets its own partial HNSW index (cosine), built on the column cast to the collection's
 * dimensions, since pgvector indexes only vectors of one declared size:
 *
 *   CREATE INDEX vectors_hnsw_<id> ON vectors USING hnsw ((embedding::vector(<dims>)) vector_cosine_ops)
 *     WHERE collection_id = <id>
 *
 * and a search orders by the same expression with the same WHERE, so the planner can use it. HNSW indexes
 * vector up to 2,000 dimensions and halfvec up to 4,000 (e.g. text-embedding-3-large's 3,072, at half
 * precision in the index only: stored vectors stay float32); above that a collection is searched exactly.
 * HNSW is approximate: ef_search is raised per query to at least twice topK (pgvector's default is 40).
 *
 * The schema is made at first use (the extension too, when the user may create it), so a worker that
 * never indexes touches nothing; its steps are recorded by Kysely in `vector_migration`.
 */
import { Kysely, Migrator, PostgresDialect, sql, type Generated, type Migration } from 'kysely';
import type pg from 'pg';
import { TesseraError } from '../errors.ts';
import { NodeError } from '../node-sdk/define-node.ts';
import type { Embedding } from '../ports.ts';
import { checkConnection, createPool, parseDatabaseUrl, type DatabaseTarget } from '../store/pg-pool.ts';
import type { VectorHit, VectorRecord, VectorStore } from './store.ts';

export interface VectorDatabase {
  vector_collections: { id: Generated<number>; name: string; model: string; dims: number; created_at: Generated<string> };
  vectors: { collection_id: number; id: string; embedding: string; document: string };
}

export interface Collection {
  id: number;
  model: string;
  dims: number;
}

/** The type a collection's vectors are indexed and compared as, by their dimensions. */
function indexType(dims: number): { cast: string; ops: string } | undefined {
  if (dims <= 2000) return { cast: `vector(${dims})`, ops: 'vector_cosine_ops' };
  if (dims <= 4000) return { cast: `halfvec(${dims})`, ops: 'halfvec_cosine_ops' };
  return undefined;
}

const MIGRATIONS: Record<string, Migration> = {
  '0001_collections_and_vectors': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('vector_collections')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('name', sql`text collate "C"`, (c) => c.notNull().unique())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('dims', 'integer', (c) => c.notNull().check(sql`dims > 0`))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('vectors')
        .addColumn('collection_id', 'bigint', (c) => c.notNull().references('vector_collections.id').onDelete('cascade'))
        .addColumn('id', 'text', (c) => c.notNull())
        // No declared size: collections differ; each one's index casts to its own (see above).
        .addColumn('embedding', sql`vector`, (c) => c.notNull())
        .addColumn('document', 'json', (c) => c.notNull())
        .addPrimaryKeyConstraint('vectors_pkey', ['collection_id', 'id'])
        .execute();
    },
  },
};

/** pg_advisory_xact_lock key for creating the schema (the store's migrations use ...112 and ...113). */
const SCHEMA_LOCK = 7_163_740_114;
/** Rows per INSERT (4 parameters each, well under PostgreSQL's 65,535). */
const BATCH = 500;

const vectorLiteral = (v: ArrayLike<number>) => `[${Array.from(v).join(',')}]`;

/**
 * The nearest vectors of a collection: compared as its index has them (same cast, same WHERE), so the
 * index serves the ORDER BY; exact above 4,000 dimensions. Exported for the test that EXPLAINs it.
 */
export function nearestQuery(db: Kysely<VectorDatabase>, target: Collection, vector: ArrayLike<number>, limit: number) {
  const cast = sql.raw(indexType(target.dims)?.cast ?? 'vector');
  const distance = sql<number>`embedding::${cast} <=> ${vectorLiteral(vector)}::${cast}`;
  return db
    .selectFrom('vectors')
    .select(['id', 'document', distance.as('distance')])
    .where(sql<boolean>`collection_id = ${sql.lit(target.id)}`)
    .orderBy(distance)
    .limit(limit);
}

export class PgVectorStore implements VectorStore {
  private readonly target: DatabaseTarget;
  private pool?: pg.Pool;
  private kysely?: Kysely<VectorDatabase>;
  private opening?: Promise<Kysely<VectorDatabase>>;

  /** Checks the URL (DATABASE_URL_INVALID); connects at first use. */
  constructor(databaseUrl: string, private readonly options: { poolSize?: number } = {}) {
    this.target = parseDatabaseUrl(databaseUrl);
  }

  /** Checks that the server answers and admits us (DATABASE_UNREACHABLE), without making anything. */
  async connect(): Promise<void> {
    this.pool ??= createPool(this.target, { max: this.options.poolSize ?? 4, applicationName: 'tessera-vectors' });
    await checkConnection(this.pool, this.target);
  }

  /** Connects and makes the schema once; a failure is reported and the next call tries again. */
  private db(): Promise<Kysely<VectorDatabase>> {
    this.opening ??= this.open().catch((err: unknown) => {
      this.opening = undefined;
      throw err;
    });
    return this.opening;
  }

  private async open(): Promise<Kysely<VectorDatabase>> {
    await this.connect();
    this.kysely ??= new Kysely<VectorDatabase>({ dialect: new PostgresDialect({ pool: this.pool! }) });
    const db = this.kysely;
    await db.connection().execute(async (conn) => {
      await sql`BEGIN`.execute(conn);
      try {
        await sql`SELECT pg_advisory_xact_lock(${sql.lit(SCHEMA_LOCK)})`.execute(conn);
        await this.ensureExtension(conn);
        const schema = (await sql<{ schema: string | null }>`SELECT current_schema() AS schema`.execute(conn)).rows[0].schema ?? undefined;
        const { error } = await new Migrator({
          db: conn,
          provider: { getMigrations: async () => MIGRATIONS },
          migrationTableName: 'vector_migration',
          migrationLockTableName: 'vector_migration_lock',
          migrationTableSchema: schema,
          disableTransactions: true,
        }).migrateToLatest();
        if (error) throw error;
        await sql`COMMIT`.execute(conn);
      } catch (err) {
        await sql`ROLLBACK`.execute(conn).catch(() => undefined);
        throw err;
      }
    });
    return db;
  }

  private async ensureExtension(db: Kysely<VectorDatabase>): Promise<void> {
    const { rows } = await sql`SELECT 1 FROM pg_extension WHERE extname = 'vector'`.execute(db);
    if (rows.length > 0) return;
    try {
      await sql`SAVEPOINT extension`.execute(db);
      await sql`CREATE EXTENSION IF NOT EXISTS vector`.execute(db);
    } catch (err) {
      await sql`ROLLBACK TO SAVEPOINT extension`.execute(db);
      throw new TesseraError(
        'VECTOR_EXTENSION_MISSING',
        `The database of TESSERA_DATABASE_URL (${this.target.display}) has no pgvector extension, and it could not be created: ${(err as Error).message}. ` +
          'Install pgvector on the server and run "CREATE EXTENSION vector;" in the database as a superuser.',
        { cause: err },
      );
    }
  }

  private async collection(db: Kysely<VectorDatabase>, name: string): Promise<Collection | undefined> {
    return db.selectFrom('vector_collections').select(['id', 'model', 'dims']).where('name', '=', name).executeTakeFirst();
  }

  async upsert(collection: string, records: VectorRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    const db = await this.db();
    await db.transaction().execute(async (trx) => {
      // The first document of a new collection sets its model and size, and gets it its index; a collection
      // made at the same moment by another worker is waited for (the unique name) and then used.
      const first = records[0].embedding;
      const created = await trx
        .insertInto('vector_collections')
        .values({ name: collection, model: first.model, dims: first.vector.length })
        .onConflict((oc) => oc.column('name').doNothing())
        .returning(['id', 'model', 'dims'])
        .executeTakeFirst();
      const target = created ?? (await this.collection(trx, collection))!;
      for (const record of records) {
        if (record.embedding.model !== target.model || record.embedding.vector.length !== target.dims) {
          throw new NodeError(
            'EMBEDDING_MISMATCH',
            `Collection "${collection}" holds ${target.dims}-dimensional vectors of model "${target.model}"; document "${record.id}" has ${record.embedding.vector.length} of "${record.embedding.model}".`,
          );
        }
      }
      // The last of two records with one id wins, as it would one upsert after the other.
      const rows = [...new Map(records.map((r) => [r.id, r])).values()].map((r) => ({
        collection_id: target.id, id: r.id, embedding: vectorLiteral(r.embedding.vector), document: JSON.stringify(r.document ?? null),
      }));
      for (let i = 0; i < rows.length; i += BATCH) {
        await trx
          .insertInto('vectors')
          .values(rows.slice(i, i + BATCH))
          .onConflict((oc) => oc.columns(['collection_id', 'id']).doUpdateSet((eb) => ({ embedding: eb.ref('excluded.embedding'), document: eb.ref('excluded.document') })))
          .execute();
      }
      // A new collection's index is built once over its first batch, which is quicker than growing it row
      // by row; later rows join it as they come.
      const index = indexType(target.dims);
      if (created && index) {
        await sql`CREATE INDEX ${sql.id(`vectors_hnsw_${target.id}`)} ON vectors USING hnsw ((embedding::${sql.raw(index.cast)}) ${sql.raw(index.ops)})
          WHERE collection_id = ${sql.lit(target.id)}`.execute(trx);
      }
    });
    return records.length;
  }

  async search(collection: string, query: Embedding, topK: number): Promise<VectorHit[]> {
    const db = await this.db();
    const target = await this.collection(db, collection);
    if (!target) return [];
    if (target.model !== query.model) {
      throw new NodeError('EMBEDDING_MISMATCH', `Collection "${collection}" was indexed with model "${target.model}", the query uses "${query.model}".`);
    }
    if (target.dims !== query.vector.length) throw new Error(`vectors differ in length: ${query.vector.length} and ${target.dims}`);
    const limit = Math.floor(topK);
    if (!(limit >= 1)) return [];
    return db.transaction().execute(async (trx) => {
      // HNSW returns at most ef_search rows, and finds the true nearest more often the larger it is.
      await sql`SELECT set_config('hnsw.ef_search', ${String(Math.min(1000, Math.max(100, 4 * limit)))}, true)`.execute(trx);
      const rows = await nearestQuery(trx, target, query.vector, limit).execute();
      // pgvector's cosine distance is NaN for an all-zero vector, whose similarity the SQLite store calls 0.
      return rows.map((r) => ({ id: r.id, score: Number.isNaN(Number(r.distance)) ? 0 : 1 - Number(r.distance), document: JSON.parse(r.document) }));
    });
  }

  async count(collection: string): Promise<number> {
    const db = await this.db();
    const row = await db
      .selectFrom('vectors')
      .innerJoin('vector_collections', 'vector_collections.id', 'vectors.collection_id')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('vector_collections.name', '=', collection)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Ends the connections (the interface's close is synchronous; await this one where it matters). */
  close(): Promise<void> {
    const { kysely, pool } = this;
    this.kysely = undefined;
    this.pool = undefined;
    this.opening = undefined;
    // Kysely's destroy ends the pool it was given.
    return kysely ? kysely.destroy() : pool ? pool.end() : Promise.resolve();
  }
}
