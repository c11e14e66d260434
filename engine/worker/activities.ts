/**
 * The one generic activity: resolve the node definition from the registry, check its params, run it
 * with a context, and translate its errors into Temporal failures (user errors are non-retryable).
 * Built by a factory that receives its dependencies, as in Temporal's samples.
 */
import { Context } from '@temporalio/activity';
import os from 'node:os';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { BlobStore } from '../blob/store.ts';
import { TesseraError } from '../errors.ts';
import { localFiles, NO_LOCAL_FILES } from '../files/local-files.ts';
import { NO_FILE_ROOTS, SYSTEM_DENIED, type FilePolicy } from '../files/policy.ts';
import { scrubMessage } from '../files/scrub.ts';
import type { Logger } from '../logger.ts';
import { NodeError, type NodeContext } from '../node-sdk/define-node.ts';
import type { NodeRegistry } from '../node-sdk/registry.ts';
import type { NodeActivities } from '../../workflows/contract.ts';
import type { RunChainRequest, RunChainResult, RunNodeRequest, RunNodeResult } from '../run/plan.ts';
import { gatherInputs } from '../../workflows/dag.ts';
import { boundMessage } from '../run/size-limits.ts';
import type { Providers, Usage } from '../providers/types.ts';
import { noProviders } from '../providers/none.ts';
import type { VectorStore } from '../vector/store.ts';
import { cacheKey } from '../cache/cache-key.ts';
import type { NodeCache } from '../cache/node-cache.ts';
import { restoreSpilled, spillLargeValues, ValueTooLargeError } from './spill.ts';
import { guardProviders } from '../budget/guarded-providers.ts';
import { workflowLedger } from '../budget/ledger-client.ts';
import type { RateLimiter } from '../limits/rate-limiter.ts';
import { rateLimitProviders } from '../limits/rate-limited-providers.ts';

export interface ProgressEvent {
  runId: string;
  nodeId: string;
  fraction: number;
  message?: string;
}

export interface ActivityDeps {
  registry: NodeRegistry;
  blobs: BlobStore;
  log: Logger;
  providers?: Providers;
  vectors: VectorStore;
  /** Which files runs that do not come from the local CLI may read (none when unset). */
  files?: FilePolicy;
  /** The output cache (shared through the store); without it no node reads or writes the cache. */
  cache?: NodeCache;
  /** Receives progress reports of nodes run by this worker (the CLI draws them; the API will store them). */
  onProgress?: (event: ProgressEvent) => void;
  /** Per-provider rate limits shared by the workers of the store (TESSERA_RATE_LIMITS); none when unset. */
  limiter?: RateLimiter;
}

/**
 * Blobs are stored before a run starts (by the API or the CLI), so one missing on a worker means that the
 * worker reads another blob store: an API and workers with separate data folders.
 */
const NOT_SHARED =
  'It is not in this worker\'s blob store: the API (or CLI) that stored it and every worker must share one blob store, the blobs/ folder of the same data folder (TESSERA_DATA_DIR, --data-dir).';

/**
 * A chain's result is one marker in the run's history: once its outputs pass this size, the chain stops
 * and the workflow starts the rest in another activity (each value is already at most the spill threshold).
 */
export const CHAIN_RESULT_BYTES = 256 * 1024;

export function createActivities(deps: ActivityDeps): NodeActivities {
  const runNode = async (request: RunNodeRequest): Promise<RunNodeResult> => {
    const activity = Context.current();
    const { attempt, workflowExecution, heartbeatTimeoutMs } = activity.info;
    const runId = workflowExecution?.workflowId ?? activity.info.activityId;
    const policy = deps.files ?? NO_FILE_ROOTS;
    // Messages end up in run records that API clients read: no worker paths unless the run is the local CLI's.
    // (Only private folders: /proc in "/proc/self/environ" is the pipeline's own text, worth showing.)
    const privateFolders = [os.tmpdir(), ...policy.denied.filter((folder) => !SYSTEM_DENIED.includes(folder))];
    const shown = (message: string) => (request.origin === 'cli' ? message : scrubMessage(message, privateFolders));
    const fail = (code: string, message: string, retryable = false, retryAfterMs?: number, details?: unknown): never => {
      const bounded = boundDetails(details);
      throw ApplicationFailure.create({
        type: code,
        message: boundMessage(shown(message)),
        nonRetryable: !retryable,
        details: [{ attempt, ...(bounded !== undefined ? { details: bounded } : {}) }],
        ...(retryable && retryAfterMs !== undefined ? { nextRetryDelay: retryAfterMs } : {}),
      });
    };

    const definition = deps.registry.get(request.type, request.version);
    if (!definition) fail('UNKNOWN_NODE_TYPE', `This worker has no node type "${request.type}" version ${request.version}.`);
    const params = definition!.params.safeParse(request.params);
    if (!params.success) fail('PARAMS_INVALID', params.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));

    const usage: Usage[] = [];
    const log = deps.log.child({ runId, nodeId: request.nodeId, type: request.type, attempt });
    const ctx: NodeContext = {
      runId,
      nodeId: request.nodeId,
      attempt,
      blobs: deps.blobs,
      // Under a budget each provider call reserves its estimated cost with the run's workflow first (engine/budget/),
      // then, under a rate limit, waits for a slot of its provider's limit (engine/limits/) right before it is sent.
      providers: guardProviders(rateLimitProviders(deps.providers ?? noProviders, deps.limiter, { signal: activity.cancellationSignal, heartbeat: () => activity.heartbeat(), log }), {
        nodeId: request.nodeId,
        attempt,
        maxOutputTokens: request.maxOutputTokens,
        ledger: request.budget && workflowExecution
          ? request.ledgerWorkflowId
            ? workflowLedger(activity.client, request.ledgerWorkflowId)
            : workflowLedger(activity.client, workflowExecution.workflowId, workflowExecution.runId)
          : undefined,
        log,
      }),
      vectors: deps.vectors,
      files: definition!.access.localFiles ? localFiles(policy, request.origin) : NO_LOCAL_FILES,
      log,
      signal: activity.cancellationSignal,
      heartbeat: () => activity.heartbeat(),
      recordUsage: (u) => usage.push(u),
      progress: (fraction, message) => {
        activity.heartbeat({ fraction, message });
        // A mapped node's progress is its items done (the workflow counts them), not one item's own.
        if (request.item === undefined) deps.onProgress?.({ runId, nodeId: request.nodeId, fraction, message });
      },
    };

    // Heartbeat on the node's behalf while it runs, so a dead worker is noticed within the heartbeat
    // timeout even when the node itself never reports progress. A hung node is caught by its timeout.
    const interval = heartbeatTimeoutMs ? Math.min(Math.max(heartbeatTimeoutMs / 3, 100), 10_000) : undefined;
    const timer = interval ? setInterval(() => activity.heartbeat(), interval) : undefined;
    // The key is taken from the inputs as the workflow holds them (blobs and large values by hash).
    const key = request.cache && deps.cache ? cacheKey({ type: definition!.type, version: definition!.version, params: params.data, inputs: request.inputs }) : undefined;
    try {
      if (key && request.cache === 'rw') {
        const hit = await deps.cache!.get(key).catch((err: unknown) => void log.warn({ err }, 'output cache lookup failed; running the node'));
        if (hit) {
          log.info({ key: key.slice(0, 16) }, 'outputs from the cache');
          return { nodeId: request.nodeId, outputs: hit.outputs, attempt, cached: true };
        }
      }
      const inputs = await restoreSpilled(request.inputs, deps.blobs);
      const outputs = await spillLargeValues(await definition!.run(ctx, inputs, params.data), deps.blobs);
      if (key) await deps.cache!.put(key, { outputs, type: definition!.type, ...(usage.length ? { usage } : {}) }).catch((err: unknown) => log.warn({ err }, 'could not store the outputs in the cache'));
      return { nodeId: request.nodeId, outputs, attempt, ...(usage.length ? { usage } : {}) };
    } catch (err) {
      if (err instanceof CancelledFailure || activity.cancellationSignal.aborted) throw err;
      if (err instanceof NodeError) {
        // A node type may declare codes that are never worth retrying, whatever the error says.
        const retryable = (err.options.retryable ?? false) && !(definition!.execution.retry.nonRetryableCodes ?? []).includes(err.code);
        return fail(err.code, err.message, retryable, err.options.retryAfterMs, err.options.details);
      }
      // The same value would be as large on every attempt: not retried.
      if (err instanceof ValueTooLargeError) return fail('VALUE_TOO_LARGE', err.message);
      // Catalogue errors (a missing blob, a bad param) are the request's fault: retrying cannot fix them.
      if (err instanceof TesseraError) return fail(err.code, err.code === 'BLOB_NOT_FOUND' ? `${err.message} ${NOT_SHARED}` : err.message, false);
      if (err instanceof ApplicationFailure) throw err;
      log.warn({ err }, 'node attempt failed');
      return fail('NODE_ERROR', (err as Error)?.message ?? String(err), true);
    } finally {
      if (timer) clearInterval(timer);
    }
  };

  /**
   * Cheap nodes one after another, each exactly as runNode runs it. A node that fails ends the chain
   * without an error: the workflow runs that node again on its own, so its retries, attempts and error
   * are those of any node (a cheap node is deterministic and has no side effects, so running it again is
   * harmless). Only a cancellation ends the activity itself.
   */
  const runChain = async ({ nodes, values }: RunChainRequest): Promise<RunChainResult> => {
    const produced = new Map(Object.entries(values));
    const results: RunNodeResult[] = [];
    let bytes = 0;
    for (const { request, inputs } of nodes) {
      let result: RunNodeResult;
      try {
        result = await runNode({ ...request, inputs: gatherInputs({ inputs }, produced) });
      } catch (err) {
        if (err instanceof CancelledFailure || Context.current().cancellationSignal.aborted) throw err;
        return { results, failed: request.nodeId };
      }
      results.push(result);
      produced.set(request.nodeId, result.outputs);
      bytes += Buffer.byteLength(JSON.stringify(result.outputs));
      if (bytes > CHAIN_RESULT_BYTES) break;
    }
    return { results };
  };

  return { runNode, runChain };
}

export type Activities = ReturnType<typeof createActivities>;

/** A node error's details travel in history and run records: small JSON only (else a note that they were left out). */
const MAX_DETAILS_BYTES = 4096;
function boundDetails(details: unknown): unknown {
  if (details === undefined) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(details);
  } catch {
    return { omitted: 'the details are not JSON' };
  }
  if (json === undefined) return undefined;
  return Buffer.byteLength(json) <= MAX_DETAILS_BYTES ? JSON.parse(json) : { omitted: `the details are larger than ${MAX_DETAILS_BYTES} bytes` };
}
