/**
 * FROZEN: the store's migrations and runner as they were before Kysely took over (engine/store/migrations.ts
 * at commit 2451830, steps 1-3 recorded in `schema_migrations`). Tests use it to make database files exactly
 * as a user upgrading has them. Never edit it: it stands for files that already exist.
 *
 * The store's schema as numbered migrations. A migration is never edited once released: a schema change
 * is a new entry at the end, so every existing database file can be brought forward step by step.
 * `schema_migrations` records what a file has seen (a table rather than PRAGMA user_version, so the
 * history with its dates can be read with any SQLite client).
 */
import type Database from 'better-sqlite3';

/** What steps that rewrite data (rather than only the schema) may need. */
export interface MigrationContext {
  /** Encrypts a secret for the store (secret-box.ts); `context` binds it to its row. */
  sealSecret(plain: string, context: string): string;
}

export interface Migration {
  id: number;
  name: string;
  sql: string;
  /** Runs after `sql`, in the same transaction, for data SQL alone cannot convert. */
  run?: (db: Database.Database, context: MigrationContext) => void;
}

export const LEGACY_MIGRATIONS: Migration[] = [
  {
    id: 1,
    name: 'initial schema',
    sql: `
      -- seq gives the stable creation order that pipeline paging walks (ids are random).
      CREATE TABLE pipelines (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        description TEXT,
        latest_version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );

      CREATE TABLE pipeline_versions (
        pipeline_id TEXT NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
        version INTEGER NOT NULL CHECK (version >= 1),
        document TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (pipeline_id, version)
      );
      -- Runs point at (pipeline, version): a version that changed under them would falsify their history.
      CREATE TRIGGER pipeline_versions_immutable BEFORE UPDATE ON pipeline_versions
      BEGIN SELECT RAISE(ABORT, 'pipeline versions are immutable'); END;

      -- No foreign key to pipelines: runs stay in the index after their pipeline is deleted.
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        pipeline_id TEXT NOT NULL,
        pipeline_version INTEGER NOT NULL,
        pipeline_name TEXT NOT NULL,
        status TEXT NOT NULL,
        trigger_type TEXT NOT NULL,
        trigger_id TEXT,
        inputs TEXT NOT NULL,
        outputs TEXT,
        error TEXT,
        nodes TEXT NOT NULL,
        usage TEXT,
        started_at TEXT NOT NULL,
        ended_at TEXT
      );
      -- One index per list filter, each ending in the page order (newest first).
      CREATE INDEX runs_by_start ON runs (started_at DESC, id DESC);
      CREATE INDEX runs_by_pipeline ON runs (pipeline_id, started_at DESC, id DESC);
      CREATE INDEX runs_by_status ON runs (status, started_at DESC, id DESC);
      CREATE INDEX runs_by_trigger ON runs (trigger_type, started_at DESC, id DESC);

      -- AUTOINCREMENT: seq is the SSE event id, so it must never be reused, even after deletes.
      CREATE TABLE run_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        at TEXT NOT NULL
      );
      CREATE INDEX run_events_by_run ON run_events (run_id, seq);

      -- Lists of keys, schedules and webhooks sort by (created_at, rowid): rowid is the insertion order,
      -- which breaks ties between records created in the same millisecond (their ids are random).
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        prefix TEXT NOT NULL UNIQUE,
        hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT,
        last_used_at TEXT
      );

      CREATE TABLE schedules (
        id TEXT PRIMARY KEY,
        pipeline_id TEXT NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
        pipeline_version INTEGER,
        spec TEXT NOT NULL,
        overlap TEXT NOT NULL,
        inputs TEXT NOT NULL,
        paused INTEGER NOT NULL DEFAULT 0,
        note TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX schedules_by_pipeline ON schedules (pipeline_id, created_at);

      CREATE TABLE webhooks (
        id TEXT PRIMARY KEY,
        pipeline_id TEXT NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
        pipeline_version INTEGER,
        token_hash TEXT NOT NULL UNIQUE,
        secret TEXT,
        created_at TEXT NOT NULL,
        revoked_at TEXT
      );
      CREATE INDEX webhooks_by_pipeline ON webhooks (pipeline_id, created_at);
    `,
  },
  {
    id: 2,
    name: 'webhook secrets encrypted at rest',
    // The column changes name so that no code can mistake a plaintext secret for a sealed one.
    sql: 'ALTER TABLE webhooks RENAME COLUMN secret TO sealed_secret;',
    run(db, context) {
      const rows = db.prepare('SELECT id, sealed_secret AS secret FROM webhooks WHERE sealed_secret IS NOT NULL').all() as { id: string; secret: string }[];
      const update = db.prepare('UPDATE webhooks SET sealed_secret = ? WHERE id = ?');
      for (const row of rows) update.run(context.sealSecret(row.secret, webhookSecretContext(row.id)), row.id);
    },
  },
  {
    id: 3,
    name: 'per-node outputs of runs',
    sql: `
      -- What each node of a run produced (JSON by port; large values are $spilled markers), recorded by
      -- the tracker when the node succeeds, so they outlive the workflow's history.
      CREATE TABLE run_node_outputs (
        run_id TEXT NOT NULL,
        node_id TEXT NOT NULL,
        outputs TEXT NOT NULL,
        PRIMARY KEY (run_id, node_id)
      );
    `,
  },
];

/** What a webhook's sealed secret is bound to. */
export function webhookSecretContext(webhookId: string): string {
  return `webhook:${webhookId}`;
}

/**
 * Brings the database up to the last migration. Runs under BEGIN IMMEDIATE so that two processes
 * opening the same file at once (the server and `tessera keys`) cannot both apply a step; the pending
 * steps and their records commit together, so a failing step leaves the file exactly as it was.
 * Returns the ids applied (empty when the file was already current).
 */
export function legacyMigrate(db: Database.Database, migrations: Migration[] = LEGACY_MIGRATIONS, context?: MigrationContext): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const applied: number[] = [];
  db.transaction(() => {
    const current = (db.prepare('SELECT MAX(id) AS id FROM schema_migrations').get() as { id: number | null }).id ?? 0;
    const known = migrations.at(-1)?.id ?? 0;
    if (current > known) {
      // A newer Tessera wrote this file; running old queries against a newer schema could corrupt it.
      throw new Error(`The store database is at schema version ${current}, newer than this Tessera knows (${known}); upgrade Tessera.`);
    }
    const record = db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)');
    for (const m of migrations) {
      if (m.id <= current) continue;
      db.exec(m.sql);
      if (m.run) {
        if (!context) throw new Error(`Migration ${m.id} (${m.name}) needs the store's secret key.`);
        m.run(db, context);
      }
      record.run(m.id, m.name, new Date().toISOString());
      applied.push(m.id);
    }
  }).immediate();
  return applied;
}
