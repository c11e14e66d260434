/**
 * The store's schema as one list of migrations for SQLite and PostgreSQL, run by Kysely's Migrator. A
 * migration is never edited once released: a schema change is a new entry at the end, so every existing
 * database can be brought forward step by step. Where the two databases need different SQL (an
 * auto-increment key, a timestamp or JSON type, a trigger), the step branches on the dialect; the tables,
 * columns, keys and indexes are the same on both.
 *
 * Kysely records what it applied in `kysely_migration` (`0001_initial_schema`, ...). SQLite files made
 * before Kysely recorded the same steps by number in `schema_migrations`: at open such a file's records
 * are copied into `kysely_migration` (ids 1-3 were exactly steps 0001-0003), and from then on every step
 * is recorded in both, so a Tessera from before Kysely still refuses a file that a newer one moved past
 * what it knows, rather than running old queries against a newer schema.
 */
import { Migrator, sql, type Kysely, type Migration as KyselyMigration } from 'kysely';
import { TesseraError } from '../errors.ts';
import type { SqlDialect } from './schema.ts';

/** What steps that rewrite data (rather than only the schema) may need. */
export interface MigrationContext {
  /** Encrypts a secret for the store (secret-box.ts); `context` binds it to its row. */
  sealSecret(plain: string, context: string): string;
}

export interface StoreMigration {
  /** The step's number: the prefix of its Kysely name, and its id in the old `schema_migrations`. */
  id: number;
  /** Kysely's record of it: sorted by name, so always the zero-padded id first. */
  key: string;
  name: string;
  up(db: Kysely<any>, dialect: SqlDialect, context: MigrationContext): Promise<void>;
}

/** The column types that differ by database. */
function types(dialect: SqlDialect) {
  const pg = dialect === 'postgres';
  return {
    /** ISO-8601 text on SQLite (sorts as time); timestamptz on PostgreSQL (read back as ISO text). */
    timestamp: pg ? ('timestamptz' as const) : ('text' as const),
    /** Kept as written on both (PostgreSQL's json, not jsonb, which would reorder a document's keys). */
    json: pg ? ('json' as const) : ('text' as const),
    boolean: pg ? ('boolean' as const) : ('integer' as const),
    false: pg ? sql`false` : sql`0`,
    /** Ids that break ties in a sort compare bytewise on both (PostgreSQL's default collation would not). */
    sortKey: pg ? sql`text collate "C"` : ('text' as const),
  };
}

export const MIGRATIONS: StoreMigration[] = [
  {
    id: 1,
    key: '0001_initial_schema',
    name: 'initial schema',
    async up(db, dialect) {
      const t = types(dialect);
      const pg = dialect === 'postgres';
      // seq gives the stable creation order that pipeline paging walks (ids are random).
      await db.schema
        .createTable('pipelines')
        .addColumn('seq', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('latest_version', 'integer', (c) => c.notNull())
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('updated_at', t.timestamp, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('pipeline_versions')
        .addColumn('pipeline_id', 'text', (c) => c.notNull().references('pipelines.id').onDelete('cascade'))
        .addColumn('version', 'integer', (c) => c.notNull().check(sql`version >= 1`))
        .addColumn('document', t.json, (c) => c.notNull())
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addPrimaryKeyConstraint('pipeline_versions_pkey', ['pipeline_id', 'version'])
        .execute();
      // Runs point at (pipeline, version): a version that changed under them would falsify their history.
      if (pg) {
        await sql`CREATE FUNCTION pipeline_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION 'pipeline versions are immutable'; END $$`.execute(db);
        await sql`CREATE TRIGGER pipeline_versions_immutable BEFORE UPDATE ON pipeline_versions
          FOR EACH ROW EXECUTE FUNCTION pipeline_versions_immutable()`.execute(db);
      } else {
        await sql`CREATE TRIGGER pipeline_versions_immutable BEFORE UPDATE ON pipeline_versions
          BEGIN SELECT RAISE(ABORT, 'pipeline versions are immutable'); END`.execute(db);
      }

      // No foreign key to pipelines: runs stay in the index after their pipeline is deleted.
      await db.schema
        .createTable('runs')
        .addColumn('id', t.sortKey, (c) => c.primaryKey())
        .addColumn('pipeline_id', 'text', (c) => c.notNull())
        .addColumn('pipeline_version', 'integer', (c) => c.notNull())
        .addColumn('pipeline_name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('trigger_type', 'text', (c) => c.notNull())
        .addColumn('trigger_id', 'text')
        .addColumn('inputs', t.json, (c) => c.notNull())
        .addColumn('outputs', t.json)
        .addColumn('error', t.json)
        .addColumn('nodes', t.json, (c) => c.notNull())
        .addColumn('usage', t.json)
        .addColumn('started_at', t.timestamp, (c) => c.notNull())
        .addColumn('ended_at', t.timestamp)
        .execute();
      // One index per list filter, each ending in the page order (newest first).
      await db.schema.createIndex('runs_by_start').on('runs').columns(['started_at desc', 'id desc']).execute();
      for (const column of ['pipeline_id', 'status', 'trigger_type']) {
        const name = { pipeline_id: 'runs_by_pipeline', status: 'runs_by_status', trigger_type: 'runs_by_trigger' }[column]!;
        await db.schema.createIndex(name).on('runs').columns([column, 'started_at desc', 'id desc']).execute();
      }

      // The event seq is the SSE event id, so it is never reused, even after deletes (SQLite's
      // AUTOINCREMENT, PostgreSQL's sequence).
      await db.schema
        .createTable('run_events')
        .addColumn('seq', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('data', t.json, (c) => c.notNull())
        .addColumn('at', t.timestamp, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('run_events_by_run').on('run_events').columns(['run_id', 'seq']).execute();

      // Lists of keys, schedules and webhooks sort by creation time, then insertion order for records made in
      // the same millisecond (their ids are random): SQLite's rowid, a `seq` column on PostgreSQL (no rowid).
      const insertionOrder = <T extends { addColumn: (name: string, type: 'bigserial') => T }>(table: T): T =>
        pg ? table.addColumn('seq', 'bigserial') : table;
      await insertionOrder(db.schema.createTable('api_keys'))
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull().unique())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('revoked_at', t.timestamp)
        .addColumn('last_used_at', t.timestamp)
        .execute();

      await insertionOrder(db.schema.createTable('schedules'))
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('pipeline_id', 'text', (c) => c.notNull().references('pipelines.id').onDelete('cascade'))
        .addColumn('pipeline_version', 'integer')
        .addColumn('spec', t.json, (c) => c.notNull())
        .addColumn('overlap', 'text', (c) => c.notNull())
        .addColumn('inputs', t.json, (c) => c.notNull())
        .addColumn('paused', t.boolean, (c) => c.notNull().defaultTo(t.false))
        .addColumn('note', 'text')
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('updated_at', t.timestamp, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('schedules_by_pipeline').on('schedules').columns(['pipeline_id', 'created_at']).execute();

      await insertionOrder(db.schema.createTable('webhooks'))
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('pipeline_id', 'text', (c) => c.notNull().references('pipelines.id').onDelete('cascade'))
        .addColumn('pipeline_version', 'integer')
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('secret', 'text')
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('revoked_at', t.timestamp)
        .execute();
      await db.schema.createIndex('webhooks_by_pipeline').on('webhooks').columns(['pipeline_id', 'created_at']).execute();
    },
  },
  {
    id: 2,
    key: '0002_webhook_secrets_sealed',
    name: 'webhook secrets encrypted at rest',
    async up(db, _dialect, context) {
      // The column changes name so that no code can mistake a plaintext secret for a sealed one.
      await db.schema.alterTable('webhooks').renameColumn('secret', 'sealed_secret').execute();
      const rows: { id: string; secret: string }[] = await db
        .selectFrom('webhooks')
        .select(['id', 'sealed_secret as secret'])
        .where('sealed_secret', 'is not', null)
        .execute();
      for (const row of rows) {
        await db.updateTable('webhooks').set({ sealed_secret: context.sealSecret(row.secret, webhookSecretContext(row.id)) }).where('id', '=', row.id).execute();
      }
    },
  },
  {
    id: 3,
    key: '0003_run_node_outputs',
    name: 'per-node outputs of runs',
    async up(db, dialect) {
      // What each node of a run produced (JSON by port; large values are $spilled markers), recorded by the
      // tracker when the node succeeds, so they outlive the workflow's history.
      await db.schema
        .createTable('run_node_outputs')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('outputs', types(dialect).json, (c) => c.notNull())
        .addPrimaryKeyConstraint('run_node_outputs_pkey', ['run_id', 'node_id'])
        .execute();
    },
  },
  {
    id: 4,
    key: '0004_node_cache',
    name: 'output cache',
    async up(db, dialect) {
      // The output cache (engine/cache/): a node execution's key -> what it produced (JSON with blob
      // references), its size, and its last use (least recently used entries are evicted first).
      await db.schema
        .createTable('node_cache')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('entry', types(dialect).json, (c) => c.notNull())
        .addColumn('bytes', 'integer', (c) => c.notNull())
        .addColumn('used_at', types(dialect).timestamp, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('node_cache_by_use').on('node_cache').column('used_at').execute();
    },
  },
  {
    id: 5,
    key: '0005_run_followers',
    name: 'run follower leases',
    async up(db) {
      // Which API process follows (records the events of) each active run, until when: one follower per
      // run however many API processes share the store, and a run whose follower died is taken over once
      // its lease lapses (engine/api/runs/run-tracker.ts). Times are epoch milliseconds.
      await db.schema
        .createTable('run_followers')
        .addColumn('run_id', 'text', (c) => c.primaryKey())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  {
    id: 6,
    key: '0006_rate_limit_slots',
    name: 'provider rate limit slots',
    async up(db) {
      // The per-provider rate limits shared by every worker of the store (engine/limits/): a provider
      // limited to N requests per interval has N slots; a slot is taken by one call (holder) and free again
      // from free_at. Times are epoch milliseconds (the database's clock on PostgreSQL).
      await db.schema
        .createTable('rate_limit_slots')
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('slot', 'integer', (c) => c.notNull())
        .addColumn('free_at', 'bigint', (c) => c.notNull())
        .addColumn('holder', 'text')
        .addColumn('granted_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('rate_limit_slots_pkey', ['provider', 'slot'])
        .execute();
    },
  },
];

/** What a webhook's sealed secret is bound to. */
export function webhookSecretContext(webhookId: string): string {
  return `webhook:${webhookId}`;
}

/** The table SQLite stores made before Kysely recorded their steps in (ids 1-3). */
const LEGACY_TABLE = 'schema_migrations';
const KYSELY_TABLE = 'kysely_migration';
/** pg_advisory_xact_lock key: processes opening one database at once migrate one after the other. */
const MIGRATION_LOCK = 7_163_740_112;

/**
 * Brings the database up to the last migration, in one transaction (BEGIN IMMEDIATE on SQLite, so that
 * two processes opening the same file, such as the server and `tessera keys`, cannot both apply a step; an
 * advisory lock on PostgreSQL, so that two API processes starting together cannot either): the pending
 * steps and their records commit together, and a failing step leaves the database exactly as it was.
 * Returns the ids applied (empty when the database was already current).
 */
export async function migrate(db: Kysely<any>, dialect: SqlDialect, context: MigrationContext, migrations: StoreMigration[] = MIGRATIONS): Promise<number[]> {
  return db.connection().execute(async (conn) => {
    await sql.raw(dialect === 'sqlite' ? 'BEGIN IMMEDIATE' : 'BEGIN').execute(conn);
    try {
      let schema: string | undefined;
      if (dialect === 'postgres') {
        await sql`SELECT pg_advisory_xact_lock(${sql.lit(MIGRATION_LOCK)})`.execute(conn);
        // Kysely looks for its table in every schema unless told which one: name the one tables go to.
        schema = (await sql<{ schema: string | null }>`SELECT current_schema() AS schema`.execute(conn)).rows[0].schema ?? undefined;
        if (!schema) throw new Error('The PostgreSQL search_path names no schema that exists, so the store has nowhere to create its tables.');
      }
      if (dialect === 'sqlite') await adoptLegacyRecords(conn, migrations);
      await refuseNewer(conn, dialect, migrations);
      const byKey = new Map(migrations.map((m) => [m.key, m]));
      const provider = {
        getMigrations: async (): Promise<Record<string, KyselyMigration>> =>
          Object.fromEntries(migrations.map((m) => [m.key, { up: (trx: Kysely<any>) => m.up(trx, dialect, context) }])),
      };
      const { error, results = [] } = await new Migrator({ db: conn, provider, disableTransactions: true, migrationTableSchema: schema }).migrateToLatest();
      if (error) throw error;
      const applied = results.filter((r) => r.status === 'Success').map((r) => byKey.get(r.migrationName)!.id);
      if (dialect === 'sqlite') await recordLegacy(conn, migrations);
      await sql`COMMIT`.execute(conn);
      return applied;
    } catch (err) {
      await sql`ROLLBACK`.execute(conn).catch(() => undefined);
      throw err;
    }
  });
}

async function tableExists(db: Kysely<any>, dialect: SqlDialect, name: string): Promise<boolean> {
  const found =
    dialect === 'sqlite'
      ? await sql`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ${name}`.execute(db)
      : await sql`SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ${name}`.execute(db);
  return found.rows.length > 0;
}

/** A file whose steps were recorded by number only: its records move to Kysely's table, dates kept. */
async function adoptLegacyRecords(db: Kysely<any>, migrations: StoreMigration[]): Promise<void> {
  if (!(await tableExists(db, 'sqlite', LEGACY_TABLE)) || (await tableExists(db, 'sqlite', KYSELY_TABLE))) return;
  const rows: { id: number; applied_at: string }[] = await db.selectFrom(LEGACY_TABLE).select(['id', 'applied_at']).orderBy('id').execute();
  // The same table Kysely's Migrator would create.
  await db.schema
    .createTable(KYSELY_TABLE)
    .addColumn('name', 'varchar(255)', (c) => c.notNull().primaryKey())
    .addColumn('timestamp', 'varchar(255)', (c) => c.notNull())
    .execute();
  for (const row of rows) {
    const step = migrations.find((m) => m.id === row.id);
    // An unknown id is a newer Tessera's: refuseNewer says so.
    if (step) await db.insertInto(KYSELY_TABLE).values({ name: step.key, timestamp: row.applied_at }).execute();
  }
}

/** Keeps `schema_migrations` in step, so a Tessera from before Kysely sees how far the file has moved. */
async function recordLegacy(db: Kysely<any>, migrations: StoreMigration[]): Promise<void> {
  await sql`CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`.execute(db);
  const at = new Date().toISOString();
  for (const m of migrations) {
    await db.insertInto(LEGACY_TABLE).values({ id: m.id, name: m.name, applied_at: at }).onConflict((oc) => oc.column('id').doNothing()).execute();
  }
}

/** A database written by a newer Tessera is refused: running old queries against a newer schema could corrupt it. */
async function refuseNewer(db: Kysely<any>, dialect: SqlDialect, migrations: StoreMigration[]): Promise<void> {
  const known = migrations.at(-1)?.id ?? 0;
  const refuse = (current: string) => {
    throw new TesseraError('STORE_SCHEMA_NEWER', `The store database is at schema version ${current}, newer than this Tessera knows (${known}); upgrade Tessera.`);
  };
  if (dialect === 'sqlite' && (await tableExists(db, dialect, LEGACY_TABLE))) {
    const { id } = (await db.selectFrom(LEGACY_TABLE).select((eb) => eb.fn.max('id').as('id')).executeTakeFirst()) ?? {};
    if (typeof id === 'number' && id > known) refuse(String(id));
  }
  if (await tableExists(db, dialect, KYSELY_TABLE)) {
    const names: string[] = (await db.selectFrom(KYSELY_TABLE).select('name').execute()).map((r: { name: string }) => r.name);
    const unknown = names.filter((name) => !migrations.some((m) => m.key === name)).sort();
    if (unknown.length > 0) refuse(unknown.at(-1)!);
  }
}
