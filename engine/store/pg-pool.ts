/**
 * Connections to the PostgreSQL of TESSERA_DATABASE_URL, shared by the store (pg-store.ts) and the vector
 * store (engine/vector/pg-store.ts): the URL checked, a pg pool whose values read back as the SQLite store
 * reads them (timestamps as ISO strings, JSON as text, bigints as numbers), and start-up errors that say
 * what is wrong without showing the password.
 */
import pg from 'pg';
import { TesseraError } from '../errors.ts';

import type { DatabaseTarget } from './database-url.ts';

export { parseDatabaseUrl, type DatabaseTarget } from './database-url.ts';

const OID = { int8: 20, json: 114, jsonb: 3802, timestamptz: 1184 } as const;
const parseTimestamptz = pg.types.getTypeParser(OID.timestamptz);

/**
 * Values as the store's rows hold them on SQLite too: JSON stays text (the store parses it, and a document
 * keeps its key order), timestamptz becomes an ISO string in UTC, int8 (sequences, count(*)) a number
 * (exact below 2^53, far above any seq).
 */
const storeTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (format === 'binary') return pg.types.getTypeParser(oid, format);
    switch (oid) {
      case OID.int8:
        return (value: string) => Number(value);
      case OID.json:
      case OID.jsonb:
        return (value: string) => value;
      case OID.timestamptz:
        return (value: string) => (parseTimestamptz(value) as Date).toISOString();
      default:
        return pg.types.getTypeParser(oid, 'text');
    }
  },
};

/** Seconds a connection attempt may take before start-up gives up on the server. */
const CONNECT_TIMEOUT_MS = 10_000;

export function createPool(target: DatabaseTarget, options: { max?: number; applicationName?: string } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: target.url,
    max: options.max ?? 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: options.applicationName ?? 'tessera',
    types: storeTypes,
  });
  // An idle connection that breaks (the server restarted) is dropped from the pool and the next query
  // opens another; without a listener the pool's error event would end the process.
  pool.on('error', () => undefined);
  return pool;
}

/** Opens one connection to learn at start-up whether the server answers and admits us (DATABASE_UNREACHABLE). */
export async function checkConnection(pool: pg.Pool, target: DatabaseTarget): Promise<void> {
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    throw unreachable(target, err);
  }
}

export function unreachable(target: DatabaseTarget, err: unknown): TesseraError {
  const message = err instanceof Error ? err.message : String(err);
  const reason = /timeout/i.test(message) ? `no answer within ${CONNECT_TIMEOUT_MS / 1000} s` : message || (err as { code?: string }).code || 'unknown error';
  return new TesseraError('DATABASE_UNREACHABLE', `Cannot connect to PostgreSQL at ${target.display}: ${reason}.`, { cause: err });
}
