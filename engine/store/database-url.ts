/**
 * TESSERA_DATABASE_URL's form, checked without loading pg (open-store.ts checks it before anything starts,
 * in processes that may never connect to PostgreSQL).
 */
import { TesseraError } from '../errors.ts';

export interface DatabaseTarget {
  /** The connection string as given. */
  url: string;
  /** The same with its password hidden, for messages and logs. */
  display: string;
}

const USAGE = 'write it as postgres://user:password@host:5432/database (percent-encode special characters), or unset it to keep the store in SQLite in the data folder';

/** Checks TESSERA_DATABASE_URL's form (DATABASE_URL_INVALID); nothing is connected. */
export function parseDatabaseUrl(value: string): DatabaseTarget {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // The value may hold a password: it is not repeated.
    throw new TesseraError('DATABASE_URL_INVALID', `TESSERA_DATABASE_URL does not parse as a URL; ${USAGE}.`);
  }
  const display = redact(url);
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new TesseraError('DATABASE_URL_INVALID', `TESSERA_DATABASE_URL (${display}) is not a PostgreSQL URL; ${USAGE}.`);
  }
  return { url: value, display };
}

function redact(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = '***';
  if (copy.searchParams.has('password')) copy.searchParams.set('password', '***');
  return copy.href;
}
