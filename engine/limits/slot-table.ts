/**
 * Where the rate limiter's slots live (slots.ts says what a slot is): the store's `rate_limit_slots`
 * table, one row per provider and slot, in the store's database, so every worker that shares the store
 * shares the limits:
 *
 *   PostgreSQL (TESSERA_DATABASE_URL)  workers on any number of hosts; a grant is one transaction holding a
 *                                      per-provider advisory lock, timed by the database's clock (hosts'
 *                                      clocks may disagree, the server's is one)
 *   SQLite (the data folder's tessera.db)  workers on one host; a grant is one BEGIN IMMEDIATE transaction
 *
 * The table is made by the store's migrations (engine/store/migrations.ts, step 6), which run when the
 * limiter opens the store once at start-up; afterwards the limiter keeps a small connection of its own.
 */
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import pg from 'pg';
import { dataPaths } from '../config.ts';
import { openStore, type StoreSettings } from '../store/open-store.ts';
import { parseDatabaseUrl, unreachable } from '../store/pg-pool.ts';
import { decide, freeAfterAnswer, heldUntil, type SlotState } from './slots.ts';

export interface Grant {
  provider: string;
  slot: number;
  /** Who holds the slot: only its holder's release frees it early. */
  holder: string;
  /** Epoch milliseconds, by the table's clock. */
  grantedAt: number;
  intervalMs: number;
}

export type TakeResult = { grant: Grant } | { waitMs: number };

export interface SlotTable {
  /** What holds the slots, for the start-up banner. */
  readonly where: string;
  /** Atomically takes a free slot among the provider's first `limit`, or says how long to wait. */
  take(provider: string, limit: number, intervalMs: number): Promise<TakeResult>;
  /** The call of `grant` was answered (or failed): its slot frees one interval from now. */
  release(grant: Grant): Promise<void>;
  close(): Promise<void>;
}

const SELECT_SLOTS = 'SELECT slot, free_at, holder FROM rate_limit_slots WHERE provider = $1 AND slot < $2';
const UPSERT_SLOT =
  'INSERT INTO rate_limit_slots (provider, slot, free_at, holder, granted_at) VALUES ($1, $2, $3, $4, $5) ' +
  'ON CONFLICT (provider, slot) DO UPDATE SET free_at = excluded.free_at, holder = excluded.holder, granted_at = excluded.granted_at';
const RELEASE_SLOT = 'UPDATE rate_limit_slots SET free_at = $4, holder = NULL WHERE provider = $1 AND slot = $2 AND holder = $3';

type SlotRow = { slot: number | string; free_at: number | string; holder: string | null };
const toState = (r: SlotRow): SlotState => ({ slot: Number(r.slot), freeAt: Number(r.free_at), inFlight: r.holder !== null });

function newGrant(provider: string, slot: number, grantedAt: number, intervalMs: number): Grant {
  return { provider, slot, holder: randomUUID(), grantedAt, intervalMs };
}

/** Opens the slot table of the store these settings name, migrating the store first when needed. */
export async function openSlotTable(settings: StoreSettings): Promise<SlotTable> {
  // The store's own opening applies its migrations (the table is step 6) and reports a database that
  // cannot be used with its coded error; the limiter then needs only a connection of its own.
  await (await openStore(settings)).close();
  return settings.databaseUrl ? PgSlotTable.open(settings.databaseUrl) : new SqliteSlotTable(dataPaths(settings.dataDir).store);
}

/** pg_advisory_xact_lock(class, key): the class keeps these locks apart from the store's own. */
const LOCK_CLASS = 716_374_013;
const lockKey = (provider: string) => createHash('sha256').update(provider).digest().readInt32BE(0);
/**
 * The database's clock in whole milliseconds: rounded down when granting and up when an answer is recorded,
 * so rounding can only make a slot free later, never earlier, than one interval after the answer.
 */
const NOW_FLOOR = 'SELECT floor(extract(epoch from clock_timestamp()) * 1000)::bigint AS now';
const NOW_CEIL = 'SELECT ceil(extract(epoch from clock_timestamp()) * 1000)::bigint AS now';

export class PgSlotTable implements SlotTable {
  readonly where: string;

  private constructor(private readonly pool: pg.Pool, display: string) {
    this.where = `PostgreSQL ${display}`;
  }

  static async open(url: string): Promise<PgSlotTable> {
    const target = parseDatabaseUrl(url);
    // Its own small pool: waiting callers never hold a connection, and it lets the process exit when idle.
    const pool = new pg.Pool({ connectionString: url, max: 2, allowExitOnIdle: true, connectionTimeoutMillis: 10_000, application_name: 'tessera-rate-limits' });
    pool.on('error', () => undefined);
    try {
      (await pool.connect()).release();
    } catch (err) {
      await pool.end();
      throw unreachable(target, err);
    }
    return new PgSlotTable(pool, target.display);
  }

  async take(provider: string, limit: number, intervalMs: number): Promise<TakeResult> {
    const client = await this.pool.connect();
    let healthy = true;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, lockKey(provider)]);
      const now = Number((await client.query<{ now: string }>(NOW_FLOOR)).rows[0].now);
      const decision = decide((await client.query<SlotRow>(SELECT_SLOTS, [provider, limit])).rows.map(toState), limit, now);
      const result: TakeResult = 'waitMs' in decision ? decision : { grant: newGrant(provider, decision.grant, now, intervalMs) };
      if ('grant' in result) await client.query(UPSERT_SLOT, [provider, result.grant.slot, heldUntil(now, intervalMs), result.grant.holder, now]);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // A connection that cannot even roll back is broken: the pool must not hand it out again.
      await client.query('ROLLBACK').catch(() => {
        healthy = false;
      });
      throw err;
    } finally {
      client.release(!healthy);
    }
  }

  async release(grant: Grant): Promise<void> {
    const now = Number((await this.pool.query<{ now: string }>(NOW_CEIL)).rows[0].now);
    await this.pool.query(RELEASE_SLOT, [grant.provider, grant.slot, grant.holder, freeAfterAnswer(grant.grantedAt, now, grant.intervalMs)]);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** How long a SQLite grant waits for another process's write lock before the call fails (retryably). */
const BUSY_WAIT_MS = 5000;

export class SqliteSlotTable implements SlotTable {
  readonly where: string;
  private readonly db: Database.Database;
  private readonly takeTx: (provider: string, limit: number, intervalMs: number) => TakeResult;
  private readonly releaseStmt: Database.Statement;

  constructor(file: string) {
    this.where = `SQLite ${file}`;
    this.db = new Database(file);
    // Never wait for the lock inside SQLite: that would block the event loop, and with it this process's own
    // store connection that may be holding the lock (engine/store/sqlite-dialect.ts). patiently() waits.
    this.db.pragma('busy_timeout = 0');
    const select = this.db.prepare(SELECT_SLOTS.replace(/\$\d/g, '?'));
    const upsert = this.db.prepare(UPSERT_SLOT.replace(/\$\d/g, '?'));
    this.releaseStmt = this.db.prepare('UPDATE rate_limit_slots SET free_at = ?, holder = NULL WHERE provider = ? AND slot = ? AND holder = ?');
    const tx = this.db.transaction((provider: string, limit: number, intervalMs: number): TakeResult => {
      const now = Date.now();
      const decision = decide((select.all(provider, limit) as SlotRow[]).map(toState), limit, now);
      if ('waitMs' in decision) return decision;
      const grant = newGrant(provider, decision.grant, now, intervalMs);
      upsert.run(provider, grant.slot, heldUntil(now, intervalMs), grant.holder, now);
      return { grant };
    });
    this.takeTx = (provider, limit, intervalMs) => tx.immediate(provider, limit, intervalMs);
  }

  take(provider: string, limit: number, intervalMs: number): Promise<TakeResult> {
    return patiently(() => this.takeTx(provider, limit, intervalMs));
  }

  async release(grant: Grant): Promise<void> {
    // Date.now() rounds down; the answer came at most a millisecond after it: count from the next one.
    await patiently(() => this.releaseStmt.run(freeAfterAnswer(grant.grantedAt, Date.now() + 1, grant.intervalMs), grant.provider, grant.slot, grant.holder));
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

async function patiently<T>(run: () => T): Promise<T> {
  const deadline = Date.now() + BUSY_WAIT_MS;
  for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
    try {
      return run();
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw err;
      await sleep(pause);
    }
  }
}
