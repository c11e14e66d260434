/**
 * The vector store on PostgreSQL with pgvector: the shared suite against the server on this machine (a
 * database of this file's own with the extension, dropped at the end), then what only pgvector has: the
 * per-collection HNSW index and that searches use it, halfvec indexes past 2,000 dimensions, exact search
 * past 4,000, and the coded errors of a database without the extension or a server that does not answer.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, test } from 'node:test';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { TesseraError } from '../../engine/errors.ts';
import { nearestQuery, PgVectorStore, type VectorDatabase } from '../../engine/vector/pg-store.ts';
import { createTestDatabase } from '../support/databases.ts';
import { pgVectors } from './backends.ts';
import { e, randomVectors, vectorSuite } from './vector-suite.ts';

const backend = pgVectors();
vectorSuite(backend);

const opened: PgVectorStore[] = [];
after(async () => {
  for (const store of opened) await store.close();
});
const open = (url: string) => {
  const store = new PgVectorStore(url);
  opened.push(store);
  return store;
};

async function freshStore() {
  const database = await backend.database();
  const { schema, url } = await database.freshSchema({ withPublic: true });
  return { store: open(url), schema, database };
}

test('each collection gets a partial HNSW index (cosine) on its own dimensions, and a search is planned on it', async () => {
  const { store, schema, database } = await freshStore();
  const vectors = randomVectors(2000, 32, 11);
  await store.upsert('docs', vectors.map((v, i) => ({ id: String(i), embedding: e(v), document: i })));
  await store.upsert('small', [{ id: 'a', embedding: e([1, 0, 0]), document: null }]);
  const indexes = await database.query<{ indexname: string; indexdef: string }>('SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 ORDER BY indexname', [schema, 'vectors']);
  const hnsw = indexes.filter((i) => i.indexname.startsWith('vectors_hnsw_'));
  assert.equal(hnsw.length, 2, JSON.stringify(indexes));
  assert.match(hnsw[0].indexdef, /USING hnsw \(\(\(embedding\)::vector\(32\)\) vector_cosine_ops\) WHERE \(collection_id = 1\)/);
  assert.match(hnsw[1].indexdef, /vector\(3\)\) vector_cosine_ops\) WHERE \(collection_id = 2\)/);

  // The statement the store runs, as the planner sees it with its statistics.
  await database.query(`ANALYZE ${schema}.vectors`);
  const kysely = new Kysely<VectorDatabase>({ dialect: new PostgresDialect({ pool: new pg.Pool({ max: 1 }) }) });
  const compiled = nearestQuery(kysely, { id: 1, model: 'm', dims: 32 }, vectors[5], 10).compile();
  await kysely.destroy();
  const plan = await database.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${compiled.sql}`, [...compiled.parameters], `${schema},public`);
  assert.match(plan.map((r) => r['QUERY PLAN']).join('\n'), /Index Scan using vectors_hnsw_1/);
  assert.equal((await store.search('docs', e(vectors[5]), 1))[0].id, '5');
});

test('past 2,000 dimensions the index is halfvec (up to 4,000); past 4,000 a collection is searched exactly', async () => {
  const { store, schema, database } = await freshStore();
  const large = randomVectors(30, 3072, 5);
  await store.upsert('large', large.map((v, i) => ({ id: String(i), embedding: e(v, 'text-embedding-3-large'), document: i })));
  const huge = randomVectors(5, 4096, 6);
  await store.upsert('huge', huge.map((v, i) => ({ id: String(i), embedding: e(v, 'huge'), document: i })));
  const indexes = (await database.query<{ indexdef: string }>('SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE $2', [schema, 'vectors_hnsw_%'])).map((i) => i.indexdef);
  assert.equal(indexes.length, 1);
  assert.match(indexes[0], /halfvec\(3072\)\) halfvec_cosine_ops/);
  assert.equal((await store.search('large', e(large[17], 'text-embedding-3-large'), 1))[0].id, '17');
  const hit = (await store.search('huge', e(huge[3], 'huge'), 1))[0];
  assert.equal(hit.id, '3');
  assert.ok(Math.abs(hit.score - 1) < 1e-6, 'stored at full precision');
});

test('a database without pgvector, and a user who may not create it, is VECTOR_EXTENSION_MISSING at first use', async () => {
  const database = await createTestDatabase();
  const role = `tessera_test_user_${randomBytes(4).toString('hex')}`;
  try {
    await database.query(`CREATE ROLE ${role} LOGIN`);
    await database.query(`GRANT CREATE ON SCHEMA public TO ${role}`);
    const url = new URL(database.url());
    url.username = role;
    const store = open(url.href);
    for (let attempt = 0; attempt < 2; attempt++) {
      await assert.rejects(store.upsert('c', [{ id: 'a', embedding: e([1, 0]), document: null }]), (err: unknown) => {
        assert.ok(err instanceof TesseraError);
        assert.equal(err.code, 'VECTOR_EXTENSION_MISSING');
        assert.match(err.message, /permission denied|must be superuser|not allowed/i);
        return true;
      });
    }
    await store.close();
  } finally {
    await database.drop();
    const admin = new pg.Client({ connectionString: database.url().replace(database.name, 'postgres') });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  }
});

test('a server that does not answer is DATABASE_UNREACHABLE at first use, and a malformed URL at construction', async () => {
  const port = await new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
  const store = open(`postgres://postgres@127.0.0.1:${port}/tessera`);
  await assert.rejects(store.search('c', e([1]), 1), { code: 'DATABASE_UNREACHABLE' });
  assert.throws(() => new PgVectorStore('sqlite:///tmp/x.db'), { code: 'DATABASE_URL_INVALID' });
});
