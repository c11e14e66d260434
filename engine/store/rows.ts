/**
 * Rows <-> records: the column shapes of the store's tables (schema.ts) and their mapping to the types of
 * types.ts, the same on SQLite and PostgreSQL. NULL columns become absent properties (not `undefined`
 * values or nulls), so records compare and serialise the same whether they come from the store or were
 * built by hand.
 */
import type { Selectable } from 'kysely';
import { TesseraError } from '../errors.ts';
import type { ApiKeysTable, PipelinesTable, PipelineVersionsTable, RunEventsTable, RunsTable, SchedulesTable, WebhooksTable } from './schema.ts';
import type {
  ApiKeyRecord,
  PipelineRecord,
  PipelineVersionRecord,
  RunEvent,
  RunEventType,
  RunRecord,
  RunStatus,
  RunSummary,
  ScheduleRecord,
  TriggerType,
  WebhookRecord,
} from './types.ts';

export type PipelineRow = Selectable<PipelinesTable>;
export type VersionRow = Selectable<PipelineVersionsTable>;
export type RunRow = Selectable<RunsTable>;
export type EventRow = Selectable<RunEventsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type ScheduleRow = Selectable<SchedulesTable>;
export type WebhookRow = Selectable<WebhooksTable>;

/** Drops the properties whose value is null or undefined. */
function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === null || o[k] === undefined) delete o[k];
  return o;
}
const json = (s: string | null) => (s === null ? undefined : JSON.parse(s));
/** JSON for a nullable column: undefined is stored as NULL. */
const toJson = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

export const toPipeline = (r: PipelineRow): PipelineRecord =>
  compact({ id: r.id, name: r.name, description: r.description ?? undefined, latestVersion: r.latest_version, createdAt: r.created_at, updatedAt: r.updated_at });

export const toVersion = (r: VersionRow): PipelineVersionRecord => ({ pipelineId: r.pipeline_id, version: r.version, document: JSON.parse(r.document), createdAt: r.created_at });

export const toRun = (r: RunRow): RunRecord =>
  compact({ ...toRunSummary(r), inputs: JSON.parse(r.inputs), outputs: json(r.outputs), nodes: JSON.parse(r.nodes) });

/** The columns a run list reads: never the (possibly large) inputs, outputs and node states. */
export const RUN_SUMMARY_COLUMNS = [
  'id', 'pipeline_id', 'pipeline_version', 'pipeline_name', 'status', 'trigger_type', 'trigger_id', 'error', 'usage', 'started_at', 'ended_at',
] as const;
export type RunSummaryRow = Omit<RunRow, 'inputs' | 'outputs' | 'nodes'>;

export const toRunSummary = (r: RunSummaryRow): RunSummary =>
  compact({
    id: r.id,
    pipelineId: r.pipeline_id,
    pipelineVersion: r.pipeline_version,
    pipelineName: r.pipeline_name,
    status: r.status as RunStatus,
    trigger: compact({ type: r.trigger_type as TriggerType, id: r.trigger_id ?? undefined }),
    error: json(r.error),
    usage: json(r.usage),
    startedAt: r.started_at,
    endedAt: r.ended_at ?? undefined,
  });

/** The columns of a run. */
export const runRow = (r: RunRecord): RunRow => ({
  id: r.id,
  pipeline_id: r.pipelineId,
  pipeline_version: r.pipelineVersion,
  pipeline_name: r.pipelineName,
  status: r.status,
  trigger_type: r.trigger.type,
  trigger_id: r.trigger.id ?? null,
  inputs: JSON.stringify(r.inputs ?? {}),
  outputs: toJson(r.outputs),
  error: toJson(r.error),
  nodes: JSON.stringify(r.nodes ?? {}),
  usage: toJson(r.usage),
  started_at: r.startedAt,
  ended_at: r.endedAt ?? null,
});

export const toEvent = (r: EventRow): RunEvent => ({ seq: r.seq, runId: r.run_id, type: r.type as RunEventType, data: JSON.parse(r.data), at: r.at });

export const toApiKey = (r: ApiKeyRow): ApiKeyRecord =>
  compact({ id: r.id, name: r.name, prefix: r.prefix, createdAt: r.created_at, revokedAt: r.revoked_at ?? undefined, lastUsedAt: r.last_used_at ?? undefined });

export const toSchedule = (r: ScheduleRow): ScheduleRecord =>
  compact({
    id: r.id,
    pipelineId: r.pipeline_id,
    pipelineVersion: r.pipeline_version ?? undefined,
    spec: JSON.parse(r.spec),
    overlap: r.overlap as ScheduleRecord['overlap'],
    inputs: JSON.parse(r.inputs),
    // 1 on SQLite, true on PostgreSQL.
    paused: r.paused === 1 || r.paused === true,
    note: r.note ?? undefined,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });

/** `secret`: the decrypted secret, given only where it is needed (the store decides). */
export const toWebhook = (r: WebhookRow, secret?: string): WebhookRecord =>
  compact({
    id: r.id, pipelineId: r.pipeline_id, pipelineVersion: r.pipeline_version ?? undefined, signed: r.sealed_secret !== null, secret,
    createdAt: r.created_at, revokedAt: r.revoked_at ?? undefined,
  });

/**
 * Cursors are opaque to callers (base64url JSON of the last item's sort key) so the sort key can change
 * without breaking the API contract; a cursor that does not decode is the caller's error.
 */
export function encodeCursor(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string, shape: ('string' | 'number')[]): unknown[] {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== shape.length || key.some((v, i) => typeof v !== shape[i])) {
    throw new TesseraError('REQUEST_INVALID', 'The paging cursor is not valid; pass back the nextCursor of a previous page.');
  }
  return key;
}

/** Page size: 50 unless asked, never more than 200 (one request must stay cheap), at least 1. */
export function pageLimit(limit?: number): number {
  if (limit === undefined || !Number.isFinite(limit)) return 50;
  return Math.min(200, Math.max(1, Math.floor(limit)));
}
