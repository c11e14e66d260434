/**
 * The embedded store: one SQLite file (better-sqlite3) in the data folder, `tessera.db`. better-sqlite3 is
 * synchronous; the methods are async only to honour the Store interface (a PostgreSQL store will need it).
 * Every write that touches more than one row runs in a transaction, so nothing is ever half saved.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Pipeline } from '../pipeline/schema.ts';
import { migrate, webhookSecretContext } from './migrations.ts';
import { SecretBox } from './secret-box.ts';
import { loadSecretKey } from './secret-key.ts';
import {
  decodeCursor, encodeCursor, pageLimit, RUN_COLUMNS, RUN_SUMMARY_COLUMNS, runValues, toApiKey, toEvent, toPipeline, toRun, toRunSummary, toSchedule, toVersion, toWebhook,
  type ApiKeyRow, type EventRow, type PipelineRow, type RunRow, type RunSummaryRow, type ScheduleRow, type VersionRow, type WebhookRow,
} from './rows.ts';
import type {
  ApiKeyRecord, Page, PipelineRecord, PipelineVersionRecord, RunEvent, RunEventType, RunFilter, RunRecord, RunSummary, ScheduleRecord, Store, WebhookRecord,
} from './types.ts';

const BASE32 = '0123456789abcdefghjkmnpqrstvwxyz';

/** A readable id: lowercase Crockford base32 (no i, l, o, u), 20 characters = 100 random bits. */
function newId(prefix: string): string {
  let s = '';
  for (const b of randomBytes(20)) s += BASE32[b & 31];
  return `${prefix}_${s}`;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const now = () => new Date().toISOString();

const CLEARABLE_RUN_FIELDS = new Set(['outputs', 'error', 'usage', 'endedAt']);

type PipelineSave = { pipeline: PipelineRecord; version: PipelineVersionRecord };

export interface SqliteStoreOptions {
  /** TESSERA_SECRET_KEY; unset: `secret.key` beside the database file (secret-key.ts). */
  secretKey?: string;
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  /** Webhook HMAC secrets are stored sealed with this (secret-box.ts). */
  private readonly secrets: SecretBox;

  /** Opens (creating the folder and file when needed) and migrates; `':memory:'` gives a throwaway store. */
  constructor(file: string, options: SqliteStoreOptions = {}) {
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.secrets = new SecretBox(file === ':memory:' && !options.secretKey ? randomBytes(32) : loadSecretKey(options.secretKey, path.dirname(path.resolve(file))));
    this.db = new Database(file);
    // WAL lets the API server read while a tracker writes; busy_timeout makes a second process (the
    // `tessera keys` CLI) wait for a lock instead of failing at once.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    // Deleted and overwritten content is zeroed, not left in free space: no old plaintext secret lingers.
    this.db.pragma('secure_delete = ON');
    const applied = migrate(this.db, undefined, { sealSecret: (plain, context) => this.secrets.seal(plain, context) });
    // A migration may have rewritten secrets: move the pages into the main file and empty the WAL now.
    if (applied.length > 0 && file !== ':memory:') this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /**
   * Read-then-write transactions start IMMEDIATE: a deferred one that reads first and then wants to write
   * fails with SQLITE_BUSY (without waiting) when another process wrote in between.
   */
  private write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  // Pipelines ---------------------------------------------------------------------------------------

  async createPipeline(document: Pipeline): Promise<PipelineSave> {
    const id = newId('pl');
    const at = now();
    return this.write(() => {
      this.db
        .prepare('INSERT INTO pipelines (id, name, description, latest_version, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)')
        .run(id, document.name, document.description ?? null, at, at);
      return this.insertVersion(id, 1, document, at);
    });
  }

  async updatePipeline(id: string, document: Pipeline): Promise<PipelineSave | undefined> {
    return this.write(() => {
      const row = this.pipelineRow(id);
      if (!row) return undefined;
      const version = row.latest_version + 1;
      const at = now();
      this.db
        .prepare('UPDATE pipelines SET name = ?, description = ?, latest_version = ?, updated_at = ? WHERE id = ?')
        .run(document.name, document.description ?? null, version, at, id);
      return this.insertVersion(id, version, document, at);
    });
  }

  private insertVersion(id: string, version: number, document: Pipeline, at: string): PipelineSave {
    this.db.prepare('INSERT INTO pipeline_versions (pipeline_id, version, document, created_at) VALUES (?, ?, ?, ?)').run(id, version, JSON.stringify(document), at);
    return { pipeline: toPipeline(this.pipelineRow(id)!), version: { pipelineId: id, version, document: structuredClone(document), createdAt: at } };
  }

  private pipelineRow(id: string): PipelineRow | undefined {
    return this.db.prepare('SELECT * FROM pipelines WHERE id = ?').get(id) as PipelineRow | undefined;
  }

  async getPipeline(id: string): Promise<PipelineRecord | undefined> {
    const row = this.pipelineRow(id);
    return row && toPipeline(row);
  }

  async listPipelines(page: { limit?: number; cursor?: string } = {}): Promise<Page<PipelineRecord>> {
    const limit = pageLimit(page.limit);
    const after = page.cursor ? (decodeCursor(page.cursor, ['number'])[0] as number) : 0;
    const rows = this.db.prepare('SELECT * FROM pipelines WHERE seq > ? ORDER BY seq LIMIT ?').all(after, limit + 1) as PipelineRow[];
    return paged(rows, limit, toPipeline, (r) => [r.seq]);
  }

  async deletePipeline(id: string): Promise<boolean> {
    // Explicit deletes rather than relying on ON DELETE CASCADE alone, so the intent does not hang on a
    // pragma; runs are left alone on purpose (the history outlives the pipeline).
    return this.write(() => {
      for (const table of ['schedules', 'webhooks', 'pipeline_versions']) this.db.prepare(`DELETE FROM ${table} WHERE pipeline_id = ?`).run(id);
      return this.db.prepare('DELETE FROM pipelines WHERE id = ?').run(id).changes > 0;
    });
  }

  async getVersion(pipelineId: string, version?: number): Promise<PipelineVersionRecord | undefined> {
    const row = (
      version === undefined
        ? this.db.prepare('SELECT * FROM pipeline_versions WHERE pipeline_id = ? ORDER BY version DESC LIMIT 1').get(pipelineId)
        : this.db.prepare('SELECT * FROM pipeline_versions WHERE pipeline_id = ? AND version = ?').get(pipelineId, version)
    ) as VersionRow | undefined;
    return row && toVersion(row);
  }

  async listVersions(pipelineId: string): Promise<Omit<PipelineVersionRecord, 'document'>[]> {
    const rows = this.db.prepare('SELECT pipeline_id, version, created_at FROM pipeline_versions WHERE pipeline_id = ? ORDER BY version').all(pipelineId) as VersionRow[];
    return rows.map((r) => ({ pipelineId: r.pipeline_id, version: r.version, createdAt: r.created_at }));
  }

  // Runs and events ---------------------------------------------------------------------------------

  async insertRun(run: RunRecord): Promise<void> {
    this.db.prepare(`INSERT INTO runs (${RUN_COLUMNS}) VALUES (${RUN_COLUMNS.split(', ').map(() => '?').join(', ')})`).run(...runValues(run));
  }

  /**
   * A shallow merge: a patched field (nodes, trigger, ...) replaces the stored one. `undefined` clears an
   * optional field (outputs, error, usage, endedAt) and is ignored for a required one.
   */
  async updateRun(id: string, patch: Partial<Omit<RunRecord, 'id'>>): Promise<RunRecord | undefined> {
    return this.write(() => {
      const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
      if (!row) return undefined;
      const merged = toRun(row) as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(patch)) {
        if (k !== 'id' && (v !== undefined || CLEARABLE_RUN_FIELDS.has(k))) merged[k] = v;
      }
      const assignments = RUN_COLUMNS.split(', ').slice(1).map((c) => `${c} = ?`).join(', ');
      this.db.prepare(`UPDATE runs SET ${assignments} WHERE id = ?`).run(...runValues(merged as unknown as RunRecord).slice(1), id);
      return toRun(this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow);
    });
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return row && toRun(row);
  }

  /** Newest first (started_at, then id to break ties); the filters combine with AND. Summaries only. */
  async listRuns(filter: RunFilter = {}): Promise<Page<RunSummary>> {
    const limit = pageLimit(filter.limit);
    const where: string[] = [];
    const params: unknown[] = [];
    const equal = (column: string, value: unknown) => {
      if (value === undefined) return;
      where.push(`${column} = ?`);
      params.push(value);
    };
    equal('pipeline_id', filter.pipelineId);
    equal('status', filter.status);
    equal('trigger_type', filter.trigger);
    if (filter.cursor) {
      const [startedAt, id] = decodeCursor(filter.cursor, ['string', 'string']);
      where.push('(started_at < ? OR (started_at = ? AND id < ?))');
      params.push(startedAt, startedAt, id);
    }
    const sql = `SELECT ${RUN_SUMMARY_COLUMNS} FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY started_at DESC, id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...params, limit + 1) as RunSummaryRow[];
    return paged(rows, limit, toRunSummary, (r) => [r.started_at, r.id]);
  }

  async deleteRun(id: string): Promise<boolean> {
    return this.write(() => {
      this.db.prepare('DELETE FROM run_events WHERE run_id = ?').run(id);
      this.db.prepare('DELETE FROM run_node_outputs WHERE run_id = ?').run(id);
      return this.db.prepare('DELETE FROM runs WHERE id = ?').run(id).changes > 0;
    });
  }

  async activeRuns(): Promise<RunRecord[]> {
    const rows = this.db.prepare("SELECT * FROM runs WHERE status = 'running' ORDER BY started_at, id").all() as RunRow[];
    return rows.map(toRun);
  }

  async saveNodeOutputs(runId: string, outputs: Record<string, Record<string, unknown>>): Promise<void> {
    const insert = this.db.prepare('INSERT OR REPLACE INTO run_node_outputs (run_id, node_id, outputs) VALUES (?, ?, ?)');
    this.write(() => {
      for (const [nodeId, values] of Object.entries(outputs)) insert.run(runId, nodeId, JSON.stringify(values));
    });
  }

  async getNodeOutputs(runId: string, nodeId: string): Promise<Record<string, unknown> | undefined> {
    const row = this.db.prepare('SELECT outputs FROM run_node_outputs WHERE run_id = ? AND node_id = ?').get(runId, nodeId) as { outputs: string } | undefined;
    return row && (JSON.parse(row.outputs) as Record<string, unknown>);
  }

  async appendEvent(runId: string, type: RunEventType, data: Record<string, unknown>): Promise<RunEvent> {
    const at = now();
    const result = this.db.prepare('INSERT INTO run_events (run_id, type, data, at) VALUES (?, ?, ?, ?)').run(runId, type, JSON.stringify(data ?? {}), at);
    return { seq: Number(result.lastInsertRowid), runId, type, data: structuredClone(data ?? {}), at };
  }

  async eventsAfter(runId: string, afterSeq: number): Promise<RunEvent[]> {
    const rows = this.db.prepare('SELECT * FROM run_events WHERE run_id = ? AND seq > ? ORDER BY seq').all(runId, afterSeq) as EventRow[];
    return rows.map(toEvent);
  }

  // API keys ----------------------------------------------------------------------------------------

  async createApiKey(name: string): Promise<{ key: ApiKeyRecord; secret: string }> {
    // The prefix is unique (revoke-by-prefix must name one key); 48 random bits make a clash very rare,
    // and a clash just draws again.
    for (let attempt = 0; ; attempt++) {
      const secret = `tsk_${randomBytes(24).toString('base64url')}`;
      const key: ApiKeyRecord = { id: newId('key'), name, prefix: secret.slice(0, 12), createdAt: now() };
      try {
        this.db.prepare('INSERT INTO api_keys (id, name, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?)').run(key.id, name, key.prefix, sha256(secret), key.createdAt);
        return { key, secret };
      } catch (err) {
        if (attempt >= 3 || (err as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw err;
      }
    }
  }

  async verifyApiKey(secret: string): Promise<ApiKeyRecord | undefined> {
    const hash = sha256(secret);
    // Looking up by hash leaks nothing useful (the caller cannot steer the hash); the constant-time
    // compare keeps the final decision free of timing differences all the same.
    const row = this.db.prepare('SELECT * FROM api_keys WHERE hash = ?').get(hash) as ApiKeyRow | undefined;
    if (!row || row.revoked_at || !timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hash, 'hex'))) return undefined;
    const at = now();
    this.db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?').run(at, row.id);
    return toApiKey({ ...row, last_used_at: at });
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return (this.db.prepare('SELECT * FROM api_keys ORDER BY created_at, rowid').all() as ApiKeyRow[]).map(toApiKey);
  }

  /** Revoking twice keeps the first revocation time. */
  async revokeApiKey(idOrPrefix: string): Promise<ApiKeyRecord | undefined> {
    return this.write(() => {
      const row = this.db.prepare('SELECT * FROM api_keys WHERE id = ? OR prefix = ?').get(idOrPrefix, idOrPrefix) as ApiKeyRow | undefined;
      if (!row) return undefined;
      if (!row.revoked_at) {
        row.revoked_at = now();
        this.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ?').run(row.revoked_at, row.id);
      }
      return toApiKey(row);
    });
  }

  /** Counts the usable (not revoked) keys. */
  async countApiKeys(): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NULL').get() as { n: number }).n;
  }

  // Schedules ---------------------------------------------------------------------------------------

  /** Inserts or replaces the whole record. */
  async saveSchedule(s: ScheduleRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO schedules (id, pipeline_id, pipeline_version, spec, overlap, inputs, paused, note, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET pipeline_id = excluded.pipeline_id, pipeline_version = excluded.pipeline_version, spec = excluded.spec,
           overlap = excluded.overlap, inputs = excluded.inputs, paused = excluded.paused, note = excluded.note,
           created_at = excluded.created_at, updated_at = excluded.updated_at`,
      )
      .run(s.id, s.pipelineId, s.pipelineVersion ?? null, JSON.stringify(s.spec), s.overlap, JSON.stringify(s.inputs ?? {}), s.paused ? 1 : 0, s.note ?? null, s.createdAt, s.updatedAt);
  }

  async getSchedule(id: string): Promise<ScheduleRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM schedules WHERE id = ?').get(id) as ScheduleRow | undefined;
    return row && toSchedule(row);
  }

  async listSchedules(pipelineId?: string): Promise<ScheduleRecord[]> {
    const rows = (
      pipelineId === undefined
        ? this.db.prepare('SELECT * FROM schedules ORDER BY created_at, rowid').all()
        : this.db.prepare('SELECT * FROM schedules WHERE pipeline_id = ? ORDER BY created_at, rowid').all(pipelineId)
    ) as ScheduleRow[];
    return rows.map(toSchedule);
  }

  async deleteSchedule(id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM schedules WHERE id = ?').run(id).changes > 0;
  }

  // Webhooks ----------------------------------------------------------------------------------------

  async createWebhook(input: Omit<WebhookRecord, 'id' | 'createdAt' | 'signed'>): Promise<{ webhook: WebhookRecord; token: string }> {
    const token = randomBytes(32).toString('base64url');
    const row: WebhookRow = {
      id: newId('wh'), pipeline_id: input.pipelineId, pipeline_version: input.pipelineVersion ?? null, token_hash: sha256(token),
      sealed_secret: null, created_at: now(), revoked_at: input.revokedAt ?? null,
    };
    if (input.secret) row.sealed_secret = this.secrets.seal(input.secret, webhookSecretContext(row.id));
    this.db
      .prepare('INSERT INTO webhooks (id, pipeline_id, pipeline_version, token_hash, sealed_secret, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(row.id, row.pipeline_id, row.pipeline_version, row.token_hash, row.sealed_secret, row.created_at, row.revoked_at);
    return { webhook: toWebhook(row, input.secret), token };
  }

  /** The only read that decrypts the secret: verifying a call's signature needs it. */
  async findWebhookByToken(token: string): Promise<WebhookRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM webhooks WHERE token_hash = ? AND revoked_at IS NULL').get(sha256(token)) as WebhookRow | undefined;
    return row && toWebhook(row, row.sealed_secret === null ? undefined : this.secrets.open(row.sealed_secret, webhookSecretContext(row.id)));
  }

  /** Every webhook of the pipeline, revoked ones included (they show as revoked). */
  async listWebhooks(pipelineId: string): Promise<WebhookRecord[]> {
    return (this.db.prepare('SELECT * FROM webhooks WHERE pipeline_id = ? ORDER BY created_at, rowid').all(pipelineId) as WebhookRow[]).map((row) => toWebhook(row));
  }

  async revokeWebhook(id: string): Promise<WebhookRecord | undefined> {
    return this.write(() => {
      this.db.prepare('UPDATE webhooks SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now(), id);
      const row = this.db.prepare('SELECT * FROM webhooks WHERE id = ?').get(id) as WebhookRow | undefined;
      return row && toWebhook(row);
    });
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** Cuts the extra row fetched to learn whether another page follows, and makes its cursor. */
function paged<R, T>(rows: R[], limit: number, map: (r: R) => T, key: (r: R) => unknown[]): Page<T> {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  return more ? { items: items.map(map), nextCursor: encodeCursor(key(items[items.length - 1])) } : { items: items.map(map) };
}
