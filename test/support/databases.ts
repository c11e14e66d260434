/**
 * The databases the store and vector tests run on. SQLite: files in a temporary folder. PostgreSQL: the
 * server of TESSERA_TEST_DATABASE_URL (default: the one on this machine, postgres@127.0.0.1:5432), where
 * each test file gets a database of its own (`tessera_test_<random>`, dropped when the file ends) and
 * each fresh store a schema of its own in it (reached through the URL's search_path, as a user could).
 * A server that does not answer fails the PostgreSQL tests loudly: CI runs them against it, they never
 * skip.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const ADMIN_URL = process.env.TESSERA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** The database's name (tessera_test_...). */
  name: string;
  /** A connection URL for it; with `searchPath`, one that sets it (e.g. a schema). */
  url(searchPath?: string): string;
  /**
   * A new, empty schema in the database; returns its URL. `withPublic`: `public` follows it on the search
   * path, where the database's extensions (pgvector's types and operators) are.
   */
  freshSchema(options?: { withPublic?: boolean }): Promise<{ schema: string; url: string }>;
  /** Runs SQL in the database (optionally with a schema first on the search_path). */
  query<R extends Record<string, unknown>>(text: string, values?: unknown[], schema?: string): Promise<R[]>;
  /** Drops the database (ending any connection left open to it). */
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string, searchPath?: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  if (searchPath) u.searchParams.set('options', `-c search_path=${searchPath}`);
  return u.href;
}

/**
 * Creates the database, with the extensions asked for (`vector` for the vector store). Throws, saying
 * what to do, when the server is not there.
 */
export async function createTestDatabase(options: { extensions?: string[] } = {}): Promise<TestDatabase> {
  const name = `tessera_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${ADMIN_URL} (${(err as Error).message}). The PostgreSQL half of the store and vector tests ` +
        'needs it: start the server (CI expects it on 127.0.0.1:5432) or set TESSERA_TEST_DATABASE_URL to a server where this user may create databases.',
      { cause: err },
    );
  }
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const pool = new pg.Pool({ connectionString: withDatabase(ADMIN_URL, name), max: 2 });
  pool.on('error', () => undefined);
  for (const extension of options.extensions ?? []) await pool.query(`CREATE EXTENSION IF NOT EXISTS ${extension}`);
  let schemas = 0;
  return {
    name,
    url: (searchPath) => withDatabase(ADMIN_URL, name, searchPath),
    async freshSchema(options = {}) {
      const schema = `s${++schemas}`;
      await pool.query(`CREATE SCHEMA ${schema}`);
      return { schema, url: withDatabase(ADMIN_URL, name, options.withPublic ? `${schema},public` : schema) };
    },
    async query(text, values, schema) {
      const client = await pool.connect();
      try {
        if (schema) await client.query(`SET search_path TO ${schema}`);
        return (await client.query(text, values)).rows;
      } finally {
        if (schema) await client.query('RESET search_path').catch(() => undefined);
        client.release();
      }
    },
    async drop() {
      await pool.end();
      const again = new pg.Client({ connectionString: ADMIN_URL });
      await again.connect();
      try {
        await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await again.end();
      }
    },
  };
}
