/**
 * A small typed client for the Tessera HTTP API (fetch only, no dependencies): pipelines, uploads, runs
 * and their live events. Every error answer becomes an ApiClientError with the API's code; a server
 * that cannot be reached is SERVER_UNREACHABLE. Used by the tests and by `tessera run --server`.
 *
 *   const api = new TesseraClient({ server: 'http://127.0.0.1:8080', token });
 *   const { pipeline } = await api.createPipeline(document);
 *   const started = await api.startRun(pipeline.id, { inputs: { who: 'Ada' }, wait: 30 });
 *   const run = started.done ? started.run : await api.waitForRun(started.id);
 *   const outputs = await api.resolveValues(run.outputs ?? {}); // large values come as references
 */
import type { BlobRef } from '../../blob/ref.ts';
import type { CodedError } from '../../errors.ts';
import type { PortMap } from '../../node-sdk/define-node.ts';
import type { CatalogEntry } from '../../node-sdk/registry.ts';
import type { Pipeline } from '../../pipeline/schema.ts';
import type { NodeState } from '../../run/plan.ts';
import type { OverlapPolicy, Page, PipelineRecord, PipelineVersionRecord, RunEvent, RunFilter, RunRecord, RunStatus, RunSummary } from '../../store/types.ts';
import { restoreSpilled } from '../../worker/spill.ts';
import type { RunEstimate } from '../../budget/run-estimate.ts';
import { parseSse } from './sse-parse.ts';

export interface ClientOptions {
  /** The API's origin (`http://127.0.0.1:8080`) or its base URL (`.../api/v1`). */
  server: string;
  /** An API key, sent as `Authorization: Bearer`. */
  token?: string;
  fetch?: typeof fetch;
}

export class ApiClientError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiClientError';
  }
}

export interface RunLinks {
  self: string;
  events: string;
  cancel: string;
}

/** A started run: finished within `wait` (with the run), or still running (with where to follow it). */
export type StartRunResult = { done: true; id: string; run: RunRecord } | { done: false; id: string; status: RunStatus; links: RunLinks };

export interface StartRunOptions {
  inputs?: Record<string, unknown>;
  version?: number;
  /** The run's use of the output cache: auto (default), on, refresh, off. */
  cache?: 'auto' | 'on' | 'refresh' | 'off';
  /** The run's cost budget in USD (instead of the pipeline's): calls that would go over it are refused. */
  budgetUsd?: number;
  /** Run from here: the earlier run whose outputs upstream of `from` are reused. */
  fromRun?: string;
  from?: string;
  /** Run to here: only this node and what it needs. */
  to?: string;
  /** Seconds to wait for the outputs (at most 300). */
  wait?: number;
}

export interface FollowOptions {
  /** Resume after this event (the seq of the last one seen). */
  lastEventId?: number;
  signal?: AbortSignal;
  /** Reconnect (resuming) when the stream drops before `run.finished`, for at most this long (ms; default 30 s, 0 = never). */
  reconnectForMs?: number;
}

/** A decision on an approval node, and the node's state just after it. */
export interface ApprovalResult {
  runId: string;
  nodeId: string;
  decision: 'approved' | 'rejected';
  /** The reviewer replaced the value. */
  edited: boolean;
  node?: NodeState;
}

export type PipelineSaved = { pipeline: PipelineRecord; version: PipelineVersionRecord };

/** A node's ports for its params (or why they cannot be known). */
export type NodePorts = { inputs: PortMap; outputs: PortMap } | { error: string };

/** A schedule as the API shows it (GET /schedules/:id adds Temporal's live view). */
export interface ScheduleView {
  id: string;
  pipelineId: string;
  /** Pinned version, or null: the latest version at each create/update. */
  version: number | null;
  spec: { cron?: string[]; intervals?: string[]; timezone?: string };
  overlap: OverlapPolicy;
  inputs: Record<string, unknown>;
  paused: boolean;
  note: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Temporal's view of a schedule: what fires next, what it started recently. */
export interface ScheduleTemporalView {
  paused: boolean;
  note?: string;
  nextActionTimes: string[];
  recentRuns: { runId: string; scheduledAt: string; startedAt: string }[];
  runningRunIds: string[];
  numActionsTaken: number;
  numActionsSkippedOverlap: number;
}

export interface CreateScheduleRequest {
  cron?: string | string[];
  /** "30s", "5m", "2h", "1d" or a number of seconds. */
  interval?: string | number;
  timezone?: string;
  overlap?: OverlapPolicy;
  inputs?: Record<string, unknown>;
  version?: number;
  paused?: boolean;
  note?: string;
}

export interface UpdateScheduleRequest {
  cron?: string | string[] | null;
  interval?: string | number | null;
  timezone?: string | null;
  overlap?: OverlapPolicy;
  inputs?: Record<string, unknown>;
  version?: number | null;
  note?: string | null;
}

/** A webhook as listed (its token and secret are shown only when it is created). */
export interface WebhookView {
  id: string;
  pipelineId: string;
  version: number | null;
  createdAt: string;
  signed: boolean;
  revokedAt: string | null;
}

export interface WebhookCreated {
  webhook: WebhookView;
  /** The URL to call; its token is the credential and is not shown again. */
  url: string;
  token: string;
  /** Only when the server generated the secret (`generateSecret`). */
  secret?: string;
}

export class TesseraClient {
  private readonly base: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: ClientOptions) {
    const trimmed = options.server.replace(/\/+$/, '');
    this.base = trimmed.endsWith('/api/v1') ? trimmed : `${trimmed}/api/v1`;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** True when this client sends an API key (what code snippets shown to a user should do too). */
  get authenticated(): boolean {
    return Boolean(this.options.token);
  }

  createPipeline(document: Pipeline): Promise<PipelineSaved> {
    return this.json('POST', '/pipelines', document);
  }

  /** Saves a new version of an existing pipeline. */
  updatePipeline(id: string, document: Pipeline): Promise<PipelineSaved> {
    return this.json('PUT', `/pipelines/${enc(id)}`, document);
  }

  /** Checks a document without saving it; every problem comes back as a coded error. */
  validatePipeline(document: unknown): Promise<{ valid: boolean; errors: CodedError[] }> {
    return this.json('POST', '/pipelines/validate', document);
  }

  /** Saves a new pipeline from the text of a tessera.pipeline/v1 file (a broken file is FILE_NOT_JSON). */
  importPipeline(text: string): Promise<PipelineSaved> {
    return this.json('POST', '/pipelines/import', undefined, { body: text, headers: { 'content-type': 'application/json' } });
  }

  /** The node catalog: every node type and version with its ports and params JSON Schema. */
  async listNodeTypes(): Promise<CatalogEntry[]> {
    return (await this.json<{ items: CatalogEntry[] }>('GET', '/node-types')).items;
  }

  /** The ports of nodes for their params (ports that depend on params: an input's kind, placeholders). */
  async nodePorts(nodes: { id: string; type: string; version?: number; params?: Record<string, unknown>; map?: { port: string; concurrency?: number; onItemError?: 'fail' | 'continue' } }[]): Promise<Record<string, NodePorts>> {
    return (await this.json<{ items: Record<string, NodePorts> }>('POST', '/node-types/ports', { nodes })).items;
  }

  /** A version's document exactly as the export endpoint writes the file. */
  async exportPipeline(id: string, version?: number): Promise<string> {
    return (await this.request('GET', `/pipelines/${enc(id)}/export${query({ version })}`)).text();
  }

  getPipeline(id: string): Promise<PipelineRecord> {
    return this.json('GET', `/pipelines/${enc(id)}`);
  }

  listPipelines(page: { limit?: number; cursor?: string } = {}): Promise<Page<PipelineRecord>> {
    return this.json('GET', `/pipelines${query(page)}`);
  }

  /** A saved version with its document (the latest when `version` is omitted). */
  async getVersion(id: string, version?: number): Promise<PipelineVersionRecord> {
    return this.json('GET', `/pipelines/${enc(id)}/versions/${version ?? (await this.getPipeline(id)).latestVersion}`);
  }

  /** Streams a blob's bytes (optionally a byte range, end inclusive). */
  async downloadBlob(sha256: string, range?: { start: number; end?: number }): Promise<ReadableStream<Uint8Array>> {
    const headers: Record<string, string> = range ? { range: `bytes=${range.start}-${range.end ?? ''}` } : {};
    return (await this.request('GET', `/blobs/${enc(sha256)}`, undefined, { headers })).body!;
  }

  /** A whole blob in memory: for values (JSON, text), not media. */
  async readBlob(sha256: string): Promise<Buffer> {
    return Buffer.from(await (await this.request('GET', `/blobs/${enc(sha256)}`)).arrayBuffer());
  }

  /**
   * A run's `inputs` or `outputs` with every value too large to inline (`{ $spilled: BlobRef }`) replaced by
   * the value itself, downloaded from the blob store. Media values stay blob references (downloadBlob).
   */
  resolveValues(values: Record<string, unknown>): Promise<Record<string, unknown>> {
    return restoreSpilled(values, {
      readAll: (ref) => this.readBlob(ref.sha256),
      stat: async (ref) => {
        const size = await this.blobSize(ref.sha256);
        return size === undefined ? undefined : { size };
      },
    });
  }

  /** A blob's size, or undefined when the server has no such blob. */
  async blobSize(sha256: string): Promise<number | undefined> {
    try {
      return Number((await this.request('HEAD', `/blobs/${enc(sha256)}`)).headers.get('content-length'));
    } catch (err) {
      if (err instanceof ApiClientError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Streams bytes to the blob store: a file path (read as a stream), bytes, a Blob, a web or Node stream. */
  async uploadBlob(source: string | Uint8Array | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>, options: { name?: string; kind?: 'image' | 'audio' | 'document' } = {}): Promise<BlobRef> {
    let body: BodyInit;
    let name = options.name;
    if (typeof source === 'string') {
      const { createReadStream } = nodeBuiltin<typeof import('node:fs')>('node:fs');
      const { Readable } = nodeBuiltin<typeof import('node:stream')>('node:stream');
      body = Readable.toWeb(createReadStream(source)) as ReadableStream<Uint8Array>;
      name ??= nodeBuiltin<typeof import('node:path')>('node:path').basename(source);
    } else if (isNodeStream(source)) {
      const { Readable } = nodeBuiltin<typeof import('node:stream')>('node:stream');
      body = Readable.toWeb(source as import('node:stream').Readable) as ReadableStream<Uint8Array>;
    } else body = source as BodyInit;
    return this.json('POST', `/blobs${query({ name, kind: options.kind })}`, undefined, { body, headers: { 'content-type': 'application/octet-stream' } });
  }

  async startRun(pipelineId: string, options: StartRunOptions = {}): Promise<StartRunResult> {
    return this.started(await this.request('POST', `/pipelines/${enc(pipelineId)}/runs`, { inputs: options.inputs ?? {}, version: options.version, wait: options.wait, cache: options.cache, budgetUsd: options.budgetUsd, fromRun: options.fromRun, from: options.from, to: options.to }));
  }

  /** What a run may cost (min and max USD, per node and call) before starting it; inputs left out are assumed. */
  estimateRun(pipelineId: string, options: Pick<StartRunOptions, 'inputs' | 'version' | 'cache' | 'budgetUsd'> = {}): Promise<RunEstimate> {
    return this.json('POST', `/pipelines/${enc(pipelineId)}/estimate`, { inputs: options.inputs ?? {}, version: options.version, cache: options.cache, budgetUsd: options.budgetUsd });
  }

  getRun(id: string): Promise<RunRecord> {
    return this.json('GET', `/runs/${enc(id)}`);
  }

  /** Summaries: no inputs, outputs or node states (getRun has them). */
  listRuns(filter: RunFilter = {}): Promise<Page<RunSummary>> {
    return this.json('GET', `/runs${query({ ...filter })}`);
  }

  /** What one node of a run produced, by output port (large values as `$spilled` markers: resolveValues). */
  async nodeOutputs(runId: string, nodeId: string): Promise<Record<string, unknown>> {
    return (await this.json<{ outputs: Record<string, unknown> }>('GET', `/runs/${enc(runId)}/nodes/${enc(nodeId)}/outputs`)).outputs;
  }

  /**
   * Approves an approval node that waits; `value` (of the node's kind) replaces the value it received.
   * Refused with NODE_NOT_WAITING (409) when the node does not wait, APPROVAL_VALUE_INVALID (400) when
   * the value does not fit.
   */
  approveNode(runId: string, nodeId: string, value?: unknown, options: { comment?: string } = {}): Promise<ApprovalResult> {
    return this.json('POST', `/runs/${enc(runId)}/nodes/${enc(nodeId)}/approve`, { ...(value !== undefined ? { value } : {}), ...(options.comment ? { comment: options.comment } : {}) });
  }

  /** Rejects an approval node that waits (the run fails with APPROVAL_REJECTED unless the node skips on rejection). */
  rejectNode(runId: string, nodeId: string, reason?: string): Promise<ApprovalResult> {
    return this.json('POST', `/runs/${enc(runId)}/nodes/${enc(nodeId)}/reject`, reason ? { reason } : {});
  }

  cancelRun(id: string): Promise<{ id: string; status: RunStatus; links: RunLinks }> {
    return this.json('POST', `/runs/${enc(id)}/cancel`);
  }

  async rerun(id: string, options: { wait?: number } = {}): Promise<StartRunResult> {
    return this.started(await this.request('POST', `/runs/${enc(id)}/rerun${query({ wait: options.wait })}`));
  }

  /** Runs the pipeline on cron expressions or an interval (Temporal Schedules). */
  async createSchedule(pipelineId: string, request: CreateScheduleRequest): Promise<ScheduleView> {
    return (await this.json<{ schedule: ScheduleView }>('POST', `/pipelines/${enc(pipelineId)}/schedules`, request)).schedule;
  }

  /** The schedules of one pipeline, or every schedule. */
  async listSchedules(pipelineId?: string): Promise<ScheduleView[]> {
    const route = pipelineId === undefined ? '/schedules' : `/pipelines/${enc(pipelineId)}/schedules`;
    return (await this.json<{ items: ScheduleView[] }>('GET', route)).items;
  }

  /** A schedule with Temporal's view (next times, recent runs); `temporal` is null when Temporal lost it. */
  getSchedule(id: string): Promise<{ schedule: ScheduleView; temporal: ScheduleTemporalView | null }> {
    return this.json('GET', `/schedules/${enc(id)}`);
  }

  async updateSchedule(id: string, patch: UpdateScheduleRequest): Promise<ScheduleView> {
    return (await this.json<{ schedule: ScheduleView }>('PATCH', `/schedules/${enc(id)}`, patch)).schedule;
  }

  async pauseSchedule(id: string): Promise<ScheduleView> {
    return (await this.json<{ schedule: ScheduleView }>('POST', `/schedules/${enc(id)}/pause`)).schedule;
  }

  async resumeSchedule(id: string): Promise<ScheduleView> {
    return (await this.json<{ schedule: ScheduleView }>('POST', `/schedules/${enc(id)}/resume`)).schedule;
  }

  /** Runs the schedule's action now, even when paused (the run is listed with trigger schedule). */
  async triggerSchedule(id: string): Promise<void> {
    await this.request('POST', `/schedules/${enc(id)}/trigger`);
  }

  /** Deletes the schedule; its past runs stay. */
  async deleteSchedule(id: string): Promise<void> {
    await this.request('DELETE', `/schedules/${enc(id)}`);
  }

  /** A webhook URL that runs the pipeline; `generateSecret` (or your own `secret`) makes calls need a signature. */
  createWebhook(pipelineId: string, request: { version?: number; secret?: string; generateSecret?: boolean } = {}): Promise<WebhookCreated> {
    return this.json('POST', `/pipelines/${enc(pipelineId)}/webhooks`, request);
  }

  async listWebhooks(pipelineId: string): Promise<WebhookView[]> {
    return (await this.json<{ items: WebhookView[] }>('GET', `/pipelines/${enc(pipelineId)}/webhooks`)).items;
  }

  /** Revokes a webhook: its URL answers 404 from now on. */
  async revokeWebhook(id: string): Promise<void> {
    await this.request('DELETE', `/webhooks/${enc(id)}`);
  }

  /** The run's events, replayed then live, until `run.finished`; resumes by itself when the stream drops. */
  async *followEvents(runId: string, options: FollowOptions = {}): AsyncGenerator<RunEvent> {
    let last = options.lastEventId ?? 0;
    const reconnectForMs = options.reconnectForMs ?? 30_000;
    let failingSince: number | undefined;
    for (;;) {
      try {
        const response = await this.request('GET', `/runs/${enc(runId)}/events`, undefined, {
          headers: { accept: 'text/event-stream', ...(last ? { 'last-event-id': String(last) } : {}) },
          signal: options.signal,
        });
        failingSince = undefined;
        for await (const message of parseSse(response.body!)) {
          const event = JSON.parse(message.data) as RunEvent;
          last = event.seq;
          yield event;
          if (event.type === 'run.finished') return;
        }
        // The stream ended early: the server is going away, or the run ended without a run.finished (it never started).
        const run = await this.getRun(runId).catch(() => undefined);
        if (run && !active(run.status)) return;
      } catch (err) {
        if (options.signal?.aborted) return;
        // Errors the API answered (404, 401) are final; a dropped or refused connection is retried.
        if (err instanceof ApiClientError && err.status !== 0) throw err;
        failingSince ??= Date.now();
        if (Date.now() - failingSince >= reconnectForMs) throw err instanceof ApiClientError ? err : unreachable(this.base, err);
      }
      if (reconnectForMs <= 0) throw new ApiClientError(0, 'SERVER_UNREACHABLE', `The event stream of run "${runId}" ended before the run finished.`);
      failingSince ??= Date.now();
      await sleep(500, options.signal);
      if (options.signal?.aborted) return;
    }
  }

  /** Waits for the run to finish (following its events) and returns the finished run. */
  async waitForRun(id: string, options: { signal?: AbortSignal } = {}): Promise<RunRecord> {
    const run = await this.getRun(id);
    if (!active(run.status)) return run;
    for await (const event of this.followEvents(id, options)) if (event.type === 'run.finished') break;
    return this.getRun(id);
  }

  private async started(response: Response): Promise<StartRunResult> {
    const body = (await response.json()) as RunRecord & { links?: RunLinks };
    if (response.status === 202) return { done: false, id: body.id, status: body.status, links: body.links! };
    return { done: true, id: body.id, run: body };
  }

  private async json<T>(method: string, route: string, body?: unknown, init: { body?: BodyInit; headers?: Record<string, string> } = {}): Promise<T> {
    const response = await this.request(method, route, body, init);
    return (await response.json()) as T;
  }

  /** Sends a request; any non-2xx answer is thrown as an ApiClientError. */
  private async request(method: string, route: string, json?: unknown, init: { body?: BodyInit; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let body = init.body;
    if (json !== undefined) {
      body = JSON.stringify(json);
      headers['content-type'] = 'application/json';
    }
    let response: Response;
    try {
      response = await this.fetch(`${this.base}${route}`, { method, headers, body, signal: init.signal, ...(isStream(body) ? { duplex: 'half' } : {}) } as RequestInit);
    } catch (err) {
      if (init.signal?.aborted) throw err;
      throw unreachable(this.base, err);
    }
    if (response.ok) return response;
    const text = await response.text();
    let error: { code?: string; message?: string; details?: unknown } | undefined;
    try {
      error = (JSON.parse(text) as { error?: typeof error }).error;
    } catch {
      // Not the API's error shape (a proxy's page, say): keep the status and the text.
    }
    throw new ApiClientError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? (text.slice(0, 200) || response.statusText), error?.details);
  }
}

function unreachable(base: string, err: unknown): ApiClientError {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return new ApiClientError(0, 'SERVER_UNREACHABLE', `Cannot reach the Tessera API at ${base}: ${cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err)}.`);
}

/**
 * A Node built-in, for the Node-only conveniences (uploading a file path or a Node stream). Loaded through
 * process.getBuiltinModule rather than an import so the browser editor can bundle this client without
 * pulling Node modules in (test/editor/bundle-imports.test.ts checks that).
 */
function nodeBuiltin<T>(id: string): T {
  const load = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  if (!load) throw new ApiClientError(0, 'REQUEST_INVALID', `Uploading a file path or a Node stream needs Node.js 20.16 or later (${id}).`);
  return load(id) as T;
}

function isNodeStream(source: unknown): boolean {
  return typeof (source as { pipe?: unknown })?.pipe === 'function' && typeof (source as { on?: unknown }).on === 'function';
}

function isStream(body: unknown): boolean {
  return typeof ReadableStream !== 'undefined' && body instanceof ReadableStream;
}

const enc = encodeURIComponent;

/** Not finished yet: running, or waiting for an approval. */
function active(status: RunStatus): boolean {
  return status === 'running' || status === 'waiting';
}

function query(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== '');
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)]))}` : '';
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
