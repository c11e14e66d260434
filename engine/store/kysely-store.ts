/**
 * The store's queries, written once with Kysely for SQLite (sqlite-store.ts) and PostgreSQL (pg-store.ts).
 * Those two open the database and normalise what their driver reads back (schema.ts); everything the store
 * does is here. Every write that touches more than one row runs in a transaction, so nothing is ever half
 * saved; a read-then-write holds the row (PostgreSQL) or the database (SQLite) until it commits, so two
 * processes on one database cannot interleave.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Pipeline } from '../pipeline/schema.ts';
import { webhookSecretContext } from './migrations.ts';
import {
  decodeCursor, encodeCursor, pageLimit, RUN_SUMMARY_COLUMNS, runRow, toApiKey, toEvent, toPipeline, toRun, toRunSummary, toSchedule, toVersion, toWebhook,
  type PipelineRow, type WebhookRow,
} from './rows.ts';
import type { SqlDialect, StoreDatabase } from './schema.ts';
import type { SecretBox } from './secret-box.ts';
import { ACTIVE_RUN_STATUSES } from './types.ts';
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

/**
 * Event appends on PostgreSQL take a transaction-level advisory lock on (this class, the run), so a run's
 * events commit in the order of their seq: a reader that resumes after the last seq it saw of the run
 * (SSE Last-Event-ID) can never miss an event that took a lower seq and committed later. Appends to
 * different runs do not wait for each other (two runs whose ids hash alike merely take turns). SQLite has
 * one writer at a time, so the order holds there.
 */
const EVENT_APPEND_LOCK_CLASS = 716_374_011;
/** The PostgreSQL channel appended events are announced on (payload: the run id); pg-store.ts listens. */
export const RUN_EVENTS_CHANNEL = 'tessera_run_events';

type PipelineSave = { pipeline: PipelineRecord; version: PipelineVersionRecord };
type Db = Kysely<StoreDatabase>;

/** A duplicate key, as either driver reports it. */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}

export abstract class KyselyStore implements Store {
  /** Insertion order, to break ties between records created in the same millisecond. */
  private readonly insertionOrder: RawBuilder<unknown>;
  private closed = false;

  /**
   * `opening`: the migrations (and whatever else must finish before the first query); every method waits
   * for it, and a failure there fails every call (`ready()` reports it at start-up).
   */
  protected constructor(
    private readonly kysely: Db,
    protected readonly dialect: SqlDialect,
    /** Webhook HMAC secrets are stored sealed with this (secret-box.ts). */
    private readonly secrets: SecretBox,
    private readonly opening: Promise<unknown>,
  ) {
    // Not awaited yet by anyone: a failure must not be an unhandled rejection (the methods rethrow it).
    opening.catch(() => undefined);
    this.insertionOrder = dialect === 'sqlite' ? sql`rowid` : sql`seq`;
  }

  /** Resolves once the store is open and migrated; rejects with the reason it cannot be used. */
  async ready(): Promise<void> {
    await this.opening;
  }

  private async db(): Promise<Db> {
    await this.opening;
    return this.kysely;
  }

  /**
   * One transaction on one connection. SQLite's starts IMMEDIATE: a deferred one that reads first and then
   * wants to write fails with SQLITE_BUSY (without waiting) when another process wrote in between.
   */
  private async write<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return (await this.db()).connection().execute(async (db) => {
      await sql.raw(this.dialect === 'sqlite' ? 'BEGIN IMMEDIATE' : 'BEGIN').execute(db);
      try {
        const result = await fn(db);
        await sql`COMMIT`.execute(db);
        return result;
      } catch (err) {
        await sql`ROLLBACK`.execute(db).catch(() => undefined);
        throw err;
      }
    });
  }

  /** A boolean as the database binds it (SQLite has no boolean type: 0 and 1). */
  private bool(value: boolean): number | boolean {
    return this.dialect === 'sqlite' ? (value ? 1 : 0) : value;
  }

  // Pipelines ---------------------------------------------------------------------------------------

  async createPipeline(document: Pipeline): Promise<PipelineSave> {
    const id = newId('pl');
    const at = now();
    return this.write(async (db) => {
      const row = await db
        .insertInto('pipelines')
        .values({ id, name: document.name, description: document.description ?? null, latest_version: 1, created_at: at, updated_at: at })
        .returningAll()
        .executeTakeFirstOrThrow();
      return this.insertVersion(db, row, document);
    });
  }

  async updatePipeline(id: string, document: Pipeline): Promise<PipelineSave | undefined> {
    return this.write(async (db) => {
      // One statement takes the next version number and locks the row until the version is written.
      const row = await db
        .updateTable('pipelines')
        .set((eb) => ({ name: document.name, description: document.description ?? null, latest_version: eb('latest_version', '+', 1), updated_at: now() }))
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row && this.insertVersion(db, row, document);
    });
  }

  private async insertVersion(db: Db, row: PipelineRow, document: Pipeline): Promise<PipelineSave> {
    const version = row.latest_version;
    await db.insertInto('pipeline_versions').values({ pipeline_id: row.id, version, document: JSON.stringify(document), created_at: row.updated_at }).execute();
    return { pipeline: toPipeline(row), version: { pipelineId: row.id, version, document: structuredClone(document), createdAt: row.updated_at } };
  }

  async getPipeline(id: string): Promise<PipelineRecord | undefined> {
    const row = await (await this.db()).selectFrom('pipelines').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toPipeline(row);
  }

  async pipelinesNamed(name: string): Promise<PipelineRecord[]> {
    const rows = await (await this.db()).selectFrom('pipelines').selectAll().where('name', '=', name).orderBy('seq').execute();
    return rows.map(toPipeline);
  }

  async listPipelines(page: { limit?: number; cursor?: string } = {}): Promise<Page<PipelineRecord>> {
    const limit = pageLimit(page.limit);
    const after = page.cursor ? (decodeCursor(page.cursor, ['number'])[0] as number) : 0;
    const rows = await (await this.db()).selectFrom('pipelines').selectAll().where('seq', '>', after).orderBy('seq').limit(limit + 1).execute();
    return paged(rows, limit, toPipeline, (r) => [r.seq]);
  }

  async deletePipeline(id: string): Promise<boolean> {
    // Explicit deletes rather than relying on ON DELETE CASCADE alone, so the intent does not hang on a
    // pragma; runs are left alone on purpose (the history outlives the pipeline).
    return this.write(async (db) => {
      for (const table of ['schedules', 'webhooks', 'pipeline_versions'] as const) await db.deleteFrom(table).where('pipeline_id', '=', id).execute();
      const { numDeletedRows } = await db.deleteFrom('pipelines').where('id', '=', id).executeTakeFirst();
      return numDeletedRows > 0n;
    });
  }

  async getVersion(pipelineId: string, version?: number): Promise<PipelineVersionRecord | undefined> {
    let query = (await this.db()).selectFrom('pipeline_versions').selectAll().where('pipeline_id', '=', pipelineId);
    query = version === undefined ? query.orderBy('version', 'desc').limit(1) : query.where('version', '=', version);
    const row = await query.executeTakeFirst();
    return row && toVersion(row);
  }

  async listVersions(pipelineId: string): Promise<Omit<PipelineVersionRecord, 'document'>[]> {
    const rows = await (await this.db())
      .selectFrom('pipeline_versions')
      .select(['pipeline_id', 'version', 'created_at'])
      .where('pipeline_id', '=', pipelineId)
      .orderBy('version')
      .execute();
    return rows.map((r) => ({ pipelineId: r.pipeline_id, version: r.version, createdAt: r.created_at }));
  }

  // Runs and events ---------------------------------------------------------------------------------

  async insertRun(run: RunRecord): Promise<void> {
    await (await this.db()).insertInto('runs').values(runRow(run)).execute();
  }

  /**
   * A shallow merge: a patched field (nodes, trigger, ...) replaces the stored one. `undefined` clears an
   * optional field (outputs, error, usage, endedAt) and is ignored for a required one.
   */
  async updateRun(id: string, patch: Partial<Omit<RunRecord, 'id'>>): Promise<RunRecord | undefined> {
    return this.write((db) => this.patchRun(db, id, patch));
  }

  private async patchRun(db: Db, id: string, patch: Partial<Omit<RunRecord, 'id'>>): Promise<RunRecord | undefined> {
    const row = await db
      .selectFrom('runs')
      .selectAll()
      .where('id', '=', id)
      .$if(this.dialect === 'postgres', (q) => q.forUpdate())
      .executeTakeFirst();
    if (!row) return undefined;
    const merged = toRun(row) as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(patch)) {
      if (k !== 'id' && (v !== undefined || CLEARABLE_RUN_FIELDS.has(k))) merged[k] = v;
    }
    const { id: _id, ...columns } = runRow(merged as unknown as RunRecord);
    const updated = await db.updateTable('runs').set(columns).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    return toRun(updated);
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const row = await (await this.db()).selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRun(row);
  }

  /** Newest first (started_at, then id to break ties); the filters combine with AND. Summaries only. */
  async listRuns(filter: RunFilter = {}): Promise<Page<RunSummary>> {
    const limit = pageLimit(filter.limit);
    const cursor = filter.cursor ? (decodeCursor(filter.cursor, ['string', 'string']) as [string, string]) : undefined;
    const rows = await (await this.db())
      .selectFrom('runs')
      .select(RUN_SUMMARY_COLUMNS)
      .$if(filter.pipelineId !== undefined, (q) => q.where('pipeline_id', '=', filter.pipelineId!))
      .$if(filter.status !== undefined, (q) => q.where('status', '=', filter.status!))
      .$if(filter.trigger !== undefined, (q) => q.where('trigger_type', '=', filter.trigger!))
      .$if(cursor !== undefined, (q) =>
        q.where((eb) => eb.or([eb('started_at', '<', cursor![0]), eb.and([eb('started_at', '=', cursor![0]), eb('id', '<', cursor![1])])])),
      )
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    return paged(rows, limit, toRunSummary, (r) => [r.started_at, r.id]);
  }

  async deleteRun(id: string): Promise<boolean> {
    return this.write(async (db) => {
      await db.deleteFrom('run_events').where('run_id', '=', id).execute();
      await db.deleteFrom('run_node_outputs').where('run_id', '=', id).execute();
      const { numDeletedRows } = await db.deleteFrom('runs').where('id', '=', id).executeTakeFirst();
      return numDeletedRows > 0n;
    });
  }

  async activeRuns(): Promise<RunRecord[]> {
    const rows = await (await this.db()).selectFrom('runs').selectAll().where('status', 'in', [...ACTIVE_RUN_STATUSES]).orderBy('started_at').orderBy('id').execute();
    return rows.map(toRun);
  }

  async unfollowedRuns(): Promise<RunRecord[]> {
    const rows = await (await this.db())
      .selectFrom('runs')
      .leftJoin('run_followers', 'run_followers.run_id', 'runs.id')
      .selectAll('runs')
      .where('runs.status', 'in', [...ACTIVE_RUN_STATUSES])
      .where((eb) => eb.or([eb('run_followers.run_id', 'is', null), eb('run_followers.expires_at', '<', Date.now())]))
      .orderBy('runs.started_at')
      .orderBy('runs.id')
      .execute();
    return rows.map(toRun);
  }

  async saveNodeOutputs(runId: string, outputs: Record<string, Record<string, unknown>>): Promise<void> {
    const rows = Object.entries(outputs).map(([nodeId, values]) => ({ run_id: runId, node_id: nodeId, outputs: JSON.stringify(values) }));
    if (rows.length === 0) return;
    // One statement: all the nodes' outputs or none.
    await (await this.db())
      .insertInto('run_node_outputs')
      .values(rows)
      .onConflict((oc) => oc.columns(['run_id', 'node_id']).doUpdateSet((eb) => ({ outputs: eb.ref('excluded.outputs') })))
      .execute();
  }

  async getNodeOutputs(runId: string, nodeId: string): Promise<Record<string, unknown> | undefined> {
    const row = await (await this.db()).selectFrom('run_node_outputs').select('outputs').where('run_id', '=', runId).where('node_id', '=', nodeId).executeTakeFirst();
    return row && (JSON.parse(row.outputs) as Record<string, unknown>);
  }

  // Output cache ------------------------------------------------------------------------------------

  async cacheGet(key: string): Promise<string | undefined> {
    const db = await this.db();
    const row = await db.selectFrom('node_cache').select('entry').where('key', '=', key).executeTakeFirst();
    if (row) await db.updateTable('node_cache').set({ used_at: now() }).where('key', '=', key).execute();
    return row?.entry;
  }

  async cachePut(key: string, type: string, entry: string): Promise<void> {
    const values = { key, type, entry, bytes: Buffer.byteLength(entry), used_at: now() };
    await (await this.db())
      .insertInto('node_cache')
      .values(values)
      .onConflict((oc) => oc.column('key').doUpdateSet({ type, entry, bytes: values.bytes, used_at: values.used_at }))
      .execute();
  }

  async cacheClear(type?: string): Promise<number> {
    let query = (await this.db()).deleteFrom('node_cache');
    if (type !== undefined) query = query.where('type', '=', type);
    return Number((await query.executeTakeFirst()).numDeletedRows);
  }

  async cacheStats(): Promise<{ entries: number; bytes: number }> {
    const row = await (await this.db())
      .selectFrom('node_cache')
      .select((eb) => [eb.fn.countAll<number>().as('entries'), eb.fn.sum<number>('bytes').as('bytes')])
      .executeTakeFirst();
    return { entries: Number(row?.entries ?? 0), bytes: Number(row?.bytes ?? 0) };
  }

  async cacheEvict(maxBytes: number): Promise<number> {
    return this.write(async (db) => {
      const rows = await db.selectFrom('node_cache').select(['key', 'bytes']).orderBy('used_at', 'desc').orderBy('key').execute();
      let kept = 0;
      const evicted: string[] = [];
      for (const row of rows) {
        if (kept + Number(row.bytes) <= maxBytes && evicted.length === 0) kept += Number(row.bytes);
        else evicted.push(row.key);
      }
      for (let i = 0; i < evicted.length; i += 500) await db.deleteFrom('node_cache').where('key', 'in', evicted.slice(i, i + 500)).execute();
      return evicted.length;
    });
  }

  async appendEvent(runId: string, type: RunEventType, data: Record<string, unknown>): Promise<RunEvent> {
    return this.insertEvent(await this.db(), runId, type, data);
  }

  /** One event row; on PostgreSQL also a notification to the other processes (delivered at commit). */
  private async insertEvent(db: Db, runId: string, type: RunEventType, data: Record<string, unknown>): Promise<RunEvent> {
    const at = now();
    const values = { run_id: runId, type, data: JSON.stringify(data ?? {}), at };
    let seq: number;
    if (this.dialect === 'postgres') {
      // One statement, so one round trip: the lock (see EVENT_APPEND_LOCK_CLASS) is taken while reading
      // `lock`, before the row's seq is drawn, and held until the statement's transaction commits.
      const { rows } = await sql<{ seq: number }>`
        WITH lock AS (SELECT pg_advisory_xact_lock(${sql.lit(EVENT_APPEND_LOCK_CLASS)}, hashtext(${values.run_id}))),
        note AS (SELECT pg_notify(${sql.lit(RUN_EVENTS_CHANNEL)}, ${values.run_id}))
        INSERT INTO run_events (run_id, type, data, at)
        SELECT ${values.run_id}, ${values.type}, ${values.data}::json, ${values.at}::timestamptz FROM lock, note
        RETURNING seq`.execute(db);
      seq = rows[0].seq;
    } else {
      seq = (await db.insertInto('run_events').values(values).returning('seq').executeTakeFirstOrThrow()).seq;
    }
    return { seq, runId, type, data: structuredClone(data ?? {}), at };
  }

  // Run follower leases (engine/api/runs/run-tracker.ts) ------------------------------------------------

  async claimRun(runId: string, owner: string, ttlMs: number): Promise<boolean> {
    const at = Date.now();
    const row = await (await this.db())
      .insertInto('run_followers')
      .values({ run_id: runId, owner, expires_at: at + ttlMs })
      .onConflict((oc) =>
        oc.column('run_id').doUpdateSet({ owner, expires_at: at + ttlMs }).where((eb) => eb.or([eb('run_followers.owner', '=', owner), eb('run_followers.expires_at', '<', at)])),
      )
      .returning('owner')
      .executeTakeFirst();
    return row?.owner === owner;
  }

  async renewRuns(owner: string, runIds: string[], ttlMs: number): Promise<string[]> {
    if (runIds.length === 0) return [];
    const held: string[] = [];
    for (let i = 0; i < runIds.length; i += 500) {
      const rows = await (await this.db())
        .updateTable('run_followers')
        .set({ expires_at: Date.now() + ttlMs })
        .where('owner', '=', owner)
        .where('run_id', 'in', runIds.slice(i, i + 500))
        .returning('run_id')
        .execute();
      held.push(...rows.map((r) => r.run_id));
    }
    return held;
  }

  async releaseRun(runId: string, owner: string): Promise<void> {
    await (await this.db()).deleteFrom('run_followers').where('run_id', '=', runId).where('owner', '=', owner).execute();
  }

  async recordRunChange(runId: string, owner: string, patch: Partial<Omit<RunRecord, 'id'>>, events: { type: RunEventType; data: Record<string, unknown> }[]): Promise<RunEvent[] | undefined> {
    return this.write(async (db) => {
      const lease = await db
        .selectFrom('run_followers')
        .select('owner')
        .where('run_id', '=', runId)
        .$if(this.dialect === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst();
      if (lease?.owner !== owner) return undefined;
      const appended: RunEvent[] = [];
      for (const event of events) appended.push(await this.insertEvent(db, runId, event.type, event.data));
      if (Object.keys(patch).length) await this.patchRun(db, runId, patch);
      return appended;
    });
  }

  async eventsAfter(runId: string, afterSeq: number): Promise<RunEvent[]> {
    const rows = await (await this.db()).selectFrom('run_events').selectAll().where('run_id', '=', runId).where('seq', '>', afterSeq).orderBy('seq').execute();
    return rows.map(toEvent);
  }

  // API keys ----------------------------------------------------------------------------------------

  async createApiKey(name: string): Promise<{ key: ApiKeyRecord; secret: string }> {
    const db = await this.db();
    // The prefix is unique (revoke-by-prefix must name one key); 48 random bits make a clash very rare,
    // and a clash just draws again.
    for (let attempt = 0; ; attempt++) {
      const secret = `tsk_${randomBytes(24).toString('base64url')}`;
      const key: ApiKeyRecord = { id: newId('key'), name, prefix: secret.slice(0, 12), createdAt: now() };
      try {
        await db.insertInto('api_keys').values({ id: key.id, name, prefix: key.prefix, hash: sha256(secret), created_at: key.createdAt }).execute();
        return { key, secret };
      } catch (err) {
        if (attempt >= 3 || !isUniqueViolation(err)) throw err;
      }
    }
  }

  async verifyApiKey(secret: string): Promise<ApiKeyRecord | undefined> {
    const db = await this.db();
    const hash = sha256(secret);
    // Looking up by hash leaks nothing useful (the caller cannot steer the hash); the constant-time
    // compare keeps the final decision free of timing differences all the same.
    const row = await db.selectFrom('api_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
    if (!row || row.revoked_at || !timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hash, 'hex'))) return undefined;
    const at = now();
    await db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', row.id).execute();
    return toApiKey({ ...row, last_used_at: at });
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return (await (await this.db()).selectFrom('api_keys').selectAll().orderBy('created_at').orderBy(this.insertionOrder).execute()).map(toApiKey);
  }

  /** Revoking twice keeps the first revocation time. */
  async revokeApiKey(idOrPrefix: string): Promise<ApiKeyRecord | undefined> {
    return this.write(async (db) => {
      const row = await db
        .selectFrom('api_keys')
        .selectAll()
        .where((eb) => eb.or([eb('id', '=', idOrPrefix), eb('prefix', '=', idOrPrefix)]))
        .$if(this.dialect === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst();
      if (!row) return undefined;
      if (!row.revoked_at) {
        row.revoked_at = now();
        await db.updateTable('api_keys').set({ revoked_at: row.revoked_at }).where('id', '=', row.id).execute();
      }
      return toApiKey(row);
    });
  }

  /** Counts the usable (not revoked) keys. */
  async countApiKeys(): Promise<number> {
    const row = await (await this.db())
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    // A number on SQLite, a bigint (as a string) from pg.
    return Number(row.n);
  }

  // Schedules ---------------------------------------------------------------------------------------

  /** Inserts or replaces the whole record. */
  async saveSchedule(s: ScheduleRecord): Promise<void> {
    const row = {
      id: s.id, pipeline_id: s.pipelineId, pipeline_version: s.pipelineVersion ?? null, spec: JSON.stringify(s.spec), overlap: s.overlap,
      inputs: JSON.stringify(s.inputs ?? {}), paused: this.bool(s.paused), note: s.note ?? null, created_at: s.createdAt, updated_at: s.updatedAt,
    };
    const { id: _id, ...columns } = row;
    await (await this.db()).insertInto('schedules').values(row).onConflict((oc) => oc.column('id').doUpdateSet(columns)).execute();
  }

  async getSchedule(id: string): Promise<ScheduleRecord | undefined> {
    const row = await (await this.db()).selectFrom('schedules').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toSchedule(row);
  }

  async listSchedules(pipelineId?: string): Promise<ScheduleRecord[]> {
    const rows = await (await this.db())
      .selectFrom('schedules')
      .selectAll()
      .$if(pipelineId !== undefined, (q) => q.where('pipeline_id', '=', pipelineId!))
      .orderBy('created_at')
      .orderBy(this.insertionOrder)
      .execute();
    return rows.map(toSchedule);
  }

  async deleteSchedule(id: string): Promise<boolean> {
    const { numDeletedRows } = await (await this.db()).deleteFrom('schedules').where('id', '=', id).executeTakeFirst();
    return numDeletedRows > 0n;
  }

  // Webhooks ----------------------------------------------------------------------------------------

  async createWebhook(input: Omit<WebhookRecord, 'id' | 'createdAt' | 'signed'>): Promise<{ webhook: WebhookRecord; token: string }> {
    const token = randomBytes(32).toString('base64url');
    const row: WebhookRow = {
      id: newId('wh'), pipeline_id: input.pipelineId, pipeline_version: input.pipelineVersion ?? null, token_hash: sha256(token),
      sealed_secret: null, created_at: now(), revoked_at: input.revokedAt ?? null,
    };
    if (input.secret) row.sealed_secret = this.secrets.seal(input.secret, webhookSecretContext(row.id));
    await (await this.db()).insertInto('webhooks').values(row).execute();
    return { webhook: toWebhook(row, input.secret), token };
  }

  /** The only read that decrypts the secret: verifying a call's signature needs it. */
  async findWebhookByToken(token: string): Promise<WebhookRecord | undefined> {
    const row = await (await this.db()).selectFrom('webhooks').selectAll().where('token_hash', '=', sha256(token)).where('revoked_at', 'is', null).executeTakeFirst();
    return row && toWebhook(row, row.sealed_secret === null ? undefined : this.secrets.open(row.sealed_secret, webhookSecretContext(row.id)));
  }

  /** Every webhook of the pipeline, revoked ones included (they show as revoked). */
  async listWebhooks(pipelineId: string): Promise<WebhookRecord[]> {
    const rows = await (await this.db()).selectFrom('webhooks').selectAll().where('pipeline_id', '=', pipelineId).orderBy('created_at').orderBy(this.insertionOrder).execute();
    return rows.map((row) => toWebhook(row));
  }

  async revokeWebhook(id: string): Promise<WebhookRecord | undefined> {
    return this.write(async (db) => {
      await db.updateTable('webhooks').set({ revoked_at: now() }).where('id', '=', id).where('revoked_at', 'is', null).execute();
      const row = await db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toWebhook(row);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.opening.catch(() => undefined);
    await this.kysely.destroy();
  }
}

/** Cuts the extra row fetched to learn whether another page follows, and makes its cursor. */
function paged<R, T>(rows: R[], limit: number, map: (r: R) => T, key: (r: R) => unknown[]): Page<T> {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  return more ? { items: items.map(map), nextCursor: encodeCursor(key(items[items.length - 1])) } : { items: items.map(map) };
}
