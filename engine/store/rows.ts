/**
 * Rows <-> records: the column shapes of the SQLite tables and their mapping to the types of types.ts.
 * NULL columns become absent properties (not `undefined` values or nulls), so records compare and
 * serialise the same whether they come from the store or were built by hand.
 */
import { TesseraError } from '../errors.ts';
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

export interface PipelineRow { seq: number; id: string; name: string; description: string | null; latest_version: number; created_at: string; updated_at: string }
export interface VersionRow { pipeline_id: string; version: number; document: string; created_at: string }
export interface RunRow {
  id: string; pipeline_id: string; pipeline_version: number; pipeline_name: string; status: string; trigger_type: string; trigger_id: string | null;
  inputs: string; outputs: string | null; error: string | null; nodes: string; usage: string | null; started_at: string; ended_at: string | null;
}
export interface EventRow { seq: number; run_id: string; type: string; data: string; at: string }
export interface ApiKeyRow { id: string; name: string; prefix: string; hash: string; created_at: string; revoked_at: string | null; last_used_at: string | null }
export interface ScheduleRow {
  id: string; pipeline_id: string; pipeline_version: number | null; spec: string; overlap: string; inputs: string; paused: number;
  note: string | null; created_at: string; updated_at: string;
}
export interface WebhookRow { id: string; pipeline_id: string; pipeline_version: number | null; token_hash: string; sealed_secret: string | null; created_at: string; revoked_at: string | null }

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
export const RUN_SUMMARY_COLUMNS = 'id, pipeline_id, pipeline_version, pipeline_name, status, trigger_type, trigger_id, error, usage, started_at, ended_at';
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

/** The column values of a run, in the order of RUN_COLUMNS. */
export const RUN_COLUMNS = 'id, pipeline_id, pipeline_version, pipeline_name, status, trigger_type, trigger_id, inputs, outputs, error, nodes, usage, started_at, ended_at';
export const runValues = (r: RunRecord) => [
  r.id, r.pipelineId, r.pipelineVersion, r.pipelineName, r.status, r.trigger.type, r.trigger.id ?? null,
  JSON.stringify(r.inputs ?? {}), toJson(r.outputs), toJson(r.error), JSON.stringify(r.nodes ?? {}), toJson(r.usage), r.startedAt, r.endedAt ?? null,
];

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
    paused: r.paused === 1,
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
