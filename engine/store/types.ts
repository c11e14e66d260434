/**
 * The store behind the API: pipelines with immutable versions, the run index with its event log, API
 * keys (hashed), schedules and webhooks. Implemented once on Kysely (kysely-store.ts) for SQLite
 * (sqlite-store.ts, the embedded default) and PostgreSQL (pg-store.ts, TESSERA_DATABASE_URL);
 * open-store.ts picks one.
 */
import type { Pipeline } from '../pipeline/schema.ts';
import type { NodeState, UsageTotals } from '../run/plan.ts';
import type { CodedError } from '../errors.ts';

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` to get the next page; absent on the last page. */
  nextCursor?: string;
}

export interface PipelineRecord {
  id: string;
  name: string;
  description?: string;
  latestVersion: number;
  createdAt: string;
  updatedAt: string;
}

export interface PipelineVersionRecord {
  pipelineId: string;
  version: number;
  document: Pipeline;
  createdAt: string;
}

/** `waiting`: running, with a node waiting for a person's approval (back to `running` once decided). */
export type RunStatus = 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out';

/** The statuses of a run that has not finished. */
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['running', 'waiting'];

export function isActiveRun(status: RunStatus | undefined): boolean {
  return status !== undefined && ACTIVE_RUN_STATUSES.includes(status);
}

/** `pipeline`: a sub-pipeline's child run, started by the run `id` (its `pipeline` node). */
export type TriggerType = 'api' | 'webhook' | 'schedule' | 'rerun' | 'cli' | 'pipeline';

export interface RunTrigger {
  type: TriggerType;
  /** The webhook, schedule, original run (rerun) or parent run (pipeline) behind the trigger. */
  id?: string;
}

export interface RunRecord {
  /** Also the Temporal workflow id. */
  id: string;
  pipelineId: string;
  pipelineVersion: number;
  pipelineName: string;
  status: RunStatus;
  trigger: RunTrigger;
  inputs: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  error?: CodedError;
  nodes: Record<string, NodeState>;
  usage?: UsageTotals;
  startedAt: string;
  endedAt?: string;
}

/**
 * What a list of runs shows of each: no inputs, outputs or node states, so a page stays small whatever
 * the runs produced (`getRun` has the rest).
 */
export type RunSummary = Omit<RunRecord, 'inputs' | 'outputs' | 'nodes'>;

export type RunEventType = 'node.started' | 'node.waiting' | 'node.progress' | 'node.succeeded' | 'node.failed' | 'node.cancelled' | 'node.skipped' | 'node.retrying' | 'run.finished';

export interface RunEvent {
  /** Increases across the whole store; the SSE event id (Last-Event-ID resumes after it). */
  seq: number;
  runId: string;
  type: RunEventType;
  data: Record<string, unknown>;
  at: string;
}

export interface RunFilter {
  pipelineId?: string;
  status?: RunStatus;
  trigger?: TriggerType;
  limit?: number;
  cursor?: string;
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  /** The first characters of the key, to recognise it in lists; the key itself is only stored hashed. */
  prefix: string;
  createdAt: string;
  revokedAt?: string;
  lastUsedAt?: string;
}

export interface ScheduleSpec {
  /** Cron expressions (5 fields), or */
  cron?: string[];
  /** intervals such as "30s", "1h". */
  intervals?: string[];
  timezone?: string;
}

export type OverlapPolicy = 'skip' | 'buffer_one' | 'buffer_all' | 'cancel_other' | 'terminate_other' | 'allow_all';

export interface ScheduleRecord {
  /** Also the Temporal schedule id. */
  id: string;
  pipelineId: string;
  /** Pinned version, or undefined to follow the latest version at each update of the schedule. */
  pipelineVersion?: number;
  spec: ScheduleSpec;
  overlap: OverlapPolicy;
  inputs: Record<string, unknown>;
  paused: boolean;
  note?: string;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookRecord {
  id: string;
  pipelineId: string;
  pipelineVersion?: number;
  /** Calls must be signed (the webhook has a secret). */
  signed: boolean;
  /**
   * The HMAC secret calls are signed with, stored encrypted (secret-box.ts). Decrypted only by
   * findWebhookByToken, for the signature check; lists and revocations never carry it.
   */
  secret?: string;
  createdAt: string;
  revokedAt?: string;
}

export interface Store {
  // Pipelines: every save is a new immutable version.
  createPipeline(document: Pipeline): Promise<{ pipeline: PipelineRecord; version: PipelineVersionRecord }>;
  updatePipeline(id: string, document: Pipeline): Promise<{ pipeline: PipelineRecord; version: PipelineVersionRecord } | undefined>;
  getPipeline(id: string): Promise<PipelineRecord | undefined>;
  /** Pipelines with this exact name, oldest first (names need not be unique). */
  pipelinesNamed(name: string): Promise<PipelineRecord[]>;
  listPipelines(page?: { limit?: number; cursor?: string }): Promise<Page<PipelineRecord>>;
  /** Deletes the pipeline, its versions, schedules and webhooks; its runs stay in the index. */
  deletePipeline(id: string): Promise<boolean>;
  getVersion(pipelineId: string, version?: number): Promise<PipelineVersionRecord | undefined>;
  listVersions(pipelineId: string): Promise<Omit<PipelineVersionRecord, 'document'>[]>;

  // Runs and their events.
  insertRun(run: RunRecord): Promise<void>;
  /** Merges the patch; returns the updated run. */
  updateRun(id: string, patch: Partial<Omit<RunRecord, 'id'>>): Promise<RunRecord | undefined>;
  getRun(id: string): Promise<RunRecord | undefined>;
  listRuns(filter?: RunFilter): Promise<Page<RunSummary>>;
  /** Removes a run that never started (Temporal refused it as the request's fault) and its events. */
  deleteRun(id: string): Promise<boolean>;
  /** Runs not yet finished (the tracker re-attaches to them after a restart). */
  activeRuns(): Promise<RunRecord[]>;
  appendEvent(runId: string, type: RunEventType, data: Record<string, unknown>): Promise<RunEvent>;
  eventsAfter(runId: string, afterSeq: number): Promise<RunEvent[]>;

  /**
   * Takes (or renews) the lease on following an active run: true when `owner` now holds it, false when
   * another owner's lease has not lapsed. One follower per run however many API processes share the store.
   */
  claimRun(runId: string, owner: string, ttlMs: number): Promise<boolean>;
  /** The active runs no process follows now (no lease, or a lapsed one): what a tracker may adopt. */
  unfollowedRuns(): Promise<RunRecord[]>;
  /** Renews `owner`'s leases on these runs; answers the ones it still held (the others were taken over). */
  renewRuns(owner: string, runIds: string[], ttlMs: number): Promise<string[]>;
  releaseRun(runId: string, owner: string): Promise<void>;
  /**
   * Appends events and applies a patch to the run in one transaction, only while `owner` holds the run's
   * lease (undefined when it does not: a follower that lost its run writes nothing, so a run taken over
   * by another API process gets no event twice and loses none).
   */
  recordRunChange(runId: string, owner: string, patch: Partial<Omit<RunRecord, 'id'>>, events: { type: RunEventType; data: Record<string, unknown> }[]): Promise<RunEvent[] | undefined>;
  /**
   * Hears of events appended by any process sharing the store (PostgreSQL LISTEN/NOTIFY); absent where
   * only one host writes (SQLite), where readers poll. Resolves to the function that stops listening.
   */
  listenRunEvents?(listener: (runId: string) => void): Promise<() => Promise<void>>;
  /** Records what nodes of a run produced, by node id then port (replacing what was recorded for them). */
  saveNodeOutputs(runId: string, outputs: Record<string, Record<string, unknown>>): Promise<void>;
  getNodeOutputs(runId: string, nodeId: string): Promise<Record<string, unknown> | undefined>;

  // The output cache's entries (engine/cache/store-node-cache.ts): the entry is JSON text, kept as written.
  /** The entry, marking it used now; undefined when there is none. */
  cacheGet(key: string): Promise<string | undefined>;
  cachePut(key: string, type: string, entry: string): Promise<void>;
  /** Removes every entry (or one node type's); returns how many went. */
  cacheClear(type?: string): Promise<number>;
  cacheStats(): Promise<{ entries: number; bytes: number }>;
  /** Removes the least recently used entries until the rest are at most `maxBytes`; returns how many went. */
  cacheEvict(maxBytes: number): Promise<number>;

  // API keys: the secret is returned once by createApiKey and stored only as a hash.
  createApiKey(name: string): Promise<{ key: ApiKeyRecord; secret: string }>;
  /** The key a secret belongs to, when it exists and is not revoked (also records its last use). */
  verifyApiKey(secret: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  revokeApiKey(idOrPrefix: string): Promise<ApiKeyRecord | undefined>;
  countApiKeys(): Promise<number>;

  // Schedules (the Temporal schedule is the source of truth for firing; this is the catalogue).
  saveSchedule(schedule: ScheduleRecord): Promise<void>;
  getSchedule(id: string): Promise<ScheduleRecord | undefined>;
  listSchedules(pipelineId?: string): Promise<ScheduleRecord[]>;
  deleteSchedule(id: string): Promise<boolean>;

  // Webhooks: the URL token is stored hashed, the HMAC secret encrypted.
  createWebhook(webhook: Omit<WebhookRecord, 'id' | 'createdAt' | 'signed'>): Promise<{ webhook: WebhookRecord; token: string }>;
  findWebhookByToken(token: string): Promise<WebhookRecord | undefined>;
  listWebhooks(pipelineId: string): Promise<WebhookRecord[]>;
  revokeWebhook(id: string): Promise<WebhookRecord | undefined>;

  close(): Promise<void>;
}
