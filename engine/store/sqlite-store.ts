/**
 * The embedded store: one SQLite file (better-sqlite3) in the data folder, `tessera.db`. The queries are
 * kysely-store.ts's, shared with PostgreSQL; this opens the file. better-sqlite3 is synchronous, and
 * Kysely runs its statements one at a time on the one connection, so a transaction never interleaves with
 * another call of the same process (and BEGIN IMMEDIATE keeps other processes out).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely } from 'kysely';
import { KyselyStore } from './kysely-store.ts';
import { migrate } from './migrations.ts';
import { PatientSqliteDialect } from './sqlite-dialect.ts';
import type { StoreDatabase } from './schema.ts';
import { SecretBox } from './secret-box.ts';
import { loadSecretKey } from './secret-key.ts';

export interface SqliteStoreOptions {
  /** TESSERA_SECRET_KEY; unset: `secret.key` beside the database file (secret-key.ts). */
  secretKey?: string;
}

export class SqliteStore extends KyselyStore {
  /**
   * Opens (creating the folder and file when needed) and starts migrating: every method waits for the
   * migrations, and `ready()` (or `SqliteStore.open`) reports a database that cannot be used. A malformed
   * secret key throws here. `':memory:'` gives a throwaway store.
   */
  constructor(file: string, options: SqliteStoreOptions = {}) {
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const secrets = new SecretBox(file === ':memory:' && !options.secretKey ? randomBytes(32) : loadSecretKey(options.secretKey, path.dirname(path.resolve(file))));
    const db = new Database(file);
    // WAL lets the API server read while a tracker writes.
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    // Deleted and overwritten content is zeroed, not left in free space: no old plaintext secret lingers.
    db.pragma('secure_delete = ON');
    // From here on a second writer (the `tessera keys` CLI, another store on the file) waits for the lock
    // on the event loop, not inside SQLite (sqlite-dialect.ts says why).
    db.pragma('busy_timeout = 0');
    const kysely = new Kysely<StoreDatabase>({ dialect: new PatientSqliteDialect({ database: db }) });
    const opening = migrate(kysely, 'sqlite', { sealSecret: (plain, context) => secrets.seal(plain, context) }).then((applied) => {
      // A migration may have rewritten secrets: move the pages into the main file and empty the WAL now.
      if (applied.length > 0 && file !== ':memory:') {
        db.pragma('busy_timeout = 5000');
        db.pragma('wal_checkpoint(TRUNCATE)');
        db.pragma('busy_timeout = 0');
      }
    });
    super(kysely, 'sqlite', secrets, opening);
  }

  /** Opens and migrates; rejects when the file cannot be used (e.g. written by a newer Tessera). */
  static async open(file: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    const store = new SqliteStore(file, options);
    try {
      await store.ready();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }
}
