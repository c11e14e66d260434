/**
 * The store a process uses, from its settings: PostgreSQL when TESSERA_DATABASE_URL is set, else the SQLite
 * file in the data folder. Opened and migrated before it is returned, so a database that cannot be used
 * stops start-up with its coded error (DATABASE_URL_INVALID, DATABASE_UNREACHABLE, STORE_SCHEMA_NEWER,
 * SECRET_KEY_INVALID) rather than failing requests later.
 */
import { dataPaths } from '../config.ts';
import { parseDatabaseUrl } from './database-url.ts';
import type { Store } from './types.ts';

export interface StoreSettings {
  dataDir: string;
  /** TESSERA_DATABASE_URL (postgres://...); unset: SQLite. */
  databaseUrl?: string;
  /** TESSERA_SECRET_KEY. */
  secretKey?: string;
}

export async function openStore(settings: StoreSettings): Promise<Store> {
  // Each store's module (and its driver: pg, better-sqlite3) is loaded only when that store is opened.
  if (settings.databaseUrl) {
    const { PgStore } = await import('./pg-store.ts');
    return PgStore.open(settings.databaseUrl, { secretKey: settings.secretKey, dataDir: settings.dataDir });
  }
  const { SqliteStore } = await import('./sqlite-store.ts');
  return SqliteStore.open(dataPaths(settings.dataDir).store, { secretKey: settings.secretKey });
}


/** Checks TESSERA_DATABASE_URL's form before anything starts (DATABASE_URL_INVALID); connects to nothing. */
export function checkDatabaseUrl(settings: Pick<StoreSettings, 'databaseUrl'>): void {
  if (settings.databaseUrl) parseDatabaseUrl(settings.databaseUrl);
}
