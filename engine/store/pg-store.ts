/**
 * The store on PostgreSQL (TESSERA_DATABASE_URL): the same queries and migrations as SQLite
 * (kysely-store.ts, migrations.ts) over a pg pool, so several API processes on several hosts can share one
 * store. Differences the schema absorbs: timestamptz and json columns, sequences for pipeline and event
 * order, a `seq` column where SQLite sorts by rowid; event appends take an advisory lock so they commit in
 * seq order (kysely-store.ts).
 *
 * Every event append notifies RUN_EVENTS_CHANNEL with the run id in its own transaction (delivered at
 * commit); `listenRunEvents` holds one dedicated connection (outside the pool) that LISTENs, so an API
 * process streams the events another process recorded as they commit.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { KyselyStore, RUN_EVENTS_CHANNEL } from './kysely-store.ts';
import { migrate } from './migrations.ts';
import { checkConnection, createPool, parseDatabaseUrl, type DatabaseTarget } from './pg-pool.ts';
import type { StoreDatabase } from './schema.ts';
import { SecretBox } from './secret-box.ts';
import { loadSecretKey } from './secret-key.ts';

export interface PgStoreOptions {
  /** TESSERA_SECRET_KEY; unset: `secret.key` in `dataDir` (secret-key.ts). Every process sharing the database needs the same key. */
  secretKey?: string;
  /** Where the secret key file is kept when `secretKey` is unset. */
  dataDir: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
}

export class PgStore extends KyselyStore {
  /** The server, with its password hidden. */
  readonly target: DatabaseTarget;

  /**
   * Calls `listener` with the run id of every event appended from now on, by any process. The connection
   * comes back after a break (the server restarted): events committed meanwhile are caught by the readers'
   * own catch-up reads, not by this.
   */
  async listenRunEvents(listener: (runId: string) => void): Promise<() => Promise<void>> {
    let stopped = false;
    let client: pg.Client | undefined;
    let retry: NodeJS.Timeout | undefined;
    const connect = async (): Promise<void> => {
      const next = new pg.Client({ connectionString: this.target.url, application_name: 'tessera-listen' });
      next.on('notification', (message) => message.channel === RUN_EVENTS_CHANNEL && message.payload && listener(message.payload));
      next.on('error', () => reconnect());
      next.on('end', () => reconnect());
      await next.connect();
      await next.query(`LISTEN ${RUN_EVENTS_CHANNEL}`);
      if (stopped) await next.end().catch(() => undefined);
      else client = next;
    };
    const reconnect = () => {
      if (stopped || retry) return;
      client = undefined;
      retry = setTimeout(() => {
        retry = undefined;
        connect().catch(() => reconnect());
      }, 1000).unref();
    };
    await connect();
    return async () => {
      stopped = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    };
  }

  private constructor(kysely: Kysely<StoreDatabase>, secrets: SecretBox, target: DatabaseTarget, opening: Promise<unknown>) {
    super(kysely, 'postgres', secrets, opening);
    this.target = target;
  }

  /**
   * Connects and migrates. A malformed URL is DATABASE_URL_INVALID, a server that does not answer or admit
   * us DATABASE_UNREACHABLE, a database migrated by a newer Tessera STORE_SCHEMA_NEWER.
   */
  static async open(url: string, options: PgStoreOptions): Promise<PgStore> {
    const target = parseDatabaseUrl(url);
    const pool = createPool(target, { max: options.poolSize });
    let secrets: SecretBox;
    try {
      await checkConnection(pool, target);
      secrets = new SecretBox(loadSecretKey(options.secretKey, options.dataDir));
    } catch (err) {
      await pool.end();
      throw err;
    }
    const kysely = new Kysely<StoreDatabase>({ dialect: new PostgresDialect({ pool }) });
    const store = new PgStore(kysely, secrets, target, migrate(kysely, 'postgres', { sealSecret: (plain, context) => secrets.seal(plain, context) }));
    try {
      await store.ready();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }
}
