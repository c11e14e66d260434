/**
 * The tracker's view of one run's workflow in Temporal: its node states (the `nodeStatus` query, which
 * needs a worker and so may fail while none is up), the attempts of its pending activities, its close
 * time, and its result (a long poll that survives Temporal hiccups). Every call honours an abort signal.
 */
import { WorkflowFailedError, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { NodeState, RunPipelineInput, RunPipelineResult } from '../../run/plan.ts';
import type { runPipeline } from '../../../workflows/run-pipeline.ts';
import { nodeOutputsQuery, nodeStatusQuery, type RunHandle } from '../../run/start.ts';

export type WorkflowEnd =
  | { kind: 'succeeded'; result: RunPipelineResult }
  | { kind: 'failed'; error: WorkflowFailedError }
  | { kind: 'missing' }
  | { kind: 'stopped' };

export interface PendingAttempt {
  attempt: number;
  reason?: string;
}

const QUERY_TIMEOUT_MS = 5_000;

/**
 * The Temporal calls still going, by the long-lived signal of the probes that made them. A call is raced
 * against its signal (callers return at once on abort), but the gRPC call itself ends a little later; the
 * client's retry interceptor may then schedule a retry that throws if the connection was closed meanwhile.
 * So the tracker waits for them to end before its owner closes the connection (settledCalls).
 */
const inflight = new WeakMap<AbortSignal, Set<Promise<unknown>>>();

/** Resolves when every call made by probes on `signal` has ended (after the signal aborted: promptly). */
export async function settledCalls(signal: AbortSignal): Promise<void> {
  await Promise.allSettled([...(inflight.get(signal) ?? [])]);
}

export class WorkflowProbe {
  private readonly handle: RunHandle;

  /**
   * `signal` ends the probe's calls; `tracked` is the signal its calls are counted under for settledCalls
   * (the tracker's own: a watcher's signal is derived from it, so waiting on the tracker's would otherwise
   * miss them).
   */
  constructor(
    private readonly client: Client,
    readonly workflowId: string,
    private readonly signal: AbortSignal,
    private readonly tracked: AbortSignal = signal,
  ) {
    this.handle = client.workflow.getHandle<typeof runPipeline>(workflowId);
  }

  /** The node states, or undefined when the query cannot be answered now (no worker, no first task yet). */
  async nodes(timeoutMs = QUERY_TIMEOUT_MS): Promise<Record<string, NodeState> | undefined> {
    try {
      return await this.call(() => this.handle.query(nodeStatusQuery), timeoutMs);
    } catch {
      return undefined;
    }
  }

  /**
   * The node states of a closed run, read once and kept: each attempt gives a loaded worker `timeoutMs`
   * to replay the workflow and answer. A query can go unanswered for reasons of its own (seen in CI: a
   * failed run's query timed out after 30 s while the worker was otherwise fine), and a new query is a new
   * task, so an unanswered one is asked again before the run is recorded without them.
   */
  async finalNodes(timeoutMs: number, attempts = 2): Promise<Record<string, NodeState> | undefined> {
    for (let attempt = 1; attempt <= attempts && !this.signal.aborted; attempt++) {
      const states = await this.nodes(timeoutMs);
      if (states) return states;
    }
    return undefined;
  }

  /** What the given nodes produced (a closed workflow is answered too, by a worker replaying it); undefined when no worker answers. */
  async outputs(nodeIds: string[], timeoutMs = QUERY_TIMEOUT_MS): Promise<Record<string, Record<string, unknown>> | undefined> {
    try {
      return await this.call(() => this.handle.query(nodeOutputsQuery, nodeIds), timeoutMs);
    } catch {
      return undefined;
    }
  }

  /** Attempt and last failure of each pending activity, by node id (the activity id is the node id). */
  async attempts(): Promise<Map<string, PendingAttempt>> {
    const attempts = new Map<string, PendingAttempt>();
    try {
      const description = await this.call(() => this.handle.describe(), QUERY_TIMEOUT_MS);
      for (const pending of description.raw.pendingActivities ?? []) {
        if (!pending.activityId || !pending.attempt) continue;
        attempts.set(pending.activityId, { attempt: pending.attempt, reason: pending.lastFailure?.message ?? undefined });
      }
    } catch {
      // Not essential: the attempt is learnt again on the next poll or from the final state.
    }
    return attempts;
  }

  /**
   * What the workflow was started with (its first history event), or undefined when it cannot be read: a
   * child workflow whose start is still under way is asked again a few times.
   */
  async startInput(attempts = 5, delayMs = 200): Promise<RunPipelineInput | undefined> {
    for (let i = 0; i < attempts && !this.signal.aborted; i++) {
      try {
        const { history } = await this.call(() => this.client.workflowService.getWorkflowExecutionHistory({
          namespace: this.client.options.namespace,
          execution: { workflowId: this.workflowId },
          maximumPageSize: 1,
        }), QUERY_TIMEOUT_MS);
        const payload = history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
        if (payload) return defaultPayloadConverter.fromPayload<RunPipelineInput>(payload);
      } catch {
        // Not started yet (NOT_FOUND), or Temporal is busy: try again.
      }
      await abortableSleep(delayMs, this.signal);
    }
    return undefined;
  }

  async closeTime(): Promise<string | undefined> {
    try {
      return (await this.call(() => this.handle.describe(), QUERY_TIMEOUT_MS)).closeTime?.toISOString();
    } catch {
      return undefined;
    }
  }

  /** Waits for the workflow to close. Connection trouble is retried; a workflow that stays unknown is `missing`. */
  async end(retryDelayMs = 1_000): Promise<WorkflowEnd> {
    let notFound = 0;
    while (!this.signal.aborted) {
      try {
        const result = await this.call(() => this.handle.result());
        return { kind: 'succeeded', result };
      } catch (err) {
        if (this.signal.aborted) break;
        if (err instanceof WorkflowFailedError) return { kind: 'failed', error: err };
        // A run being started right now may not exist yet; one that stays unknown never will.
        if (err instanceof WorkflowNotFoundError && ++notFound >= 5) return { kind: 'missing' };
        await abortableSleep(retryDelayMs, this.signal);
      }
    }
    return { kind: 'stopped' };
  }

  private call<T>(fn: () => Promise<T>, timeoutMs?: number): Promise<T> {
    // Stopped already: no call at all. One started now would never see the abort (the listener below is
    // added too late), outlive the tracker, and be retried by the client after its connection closed.
    if (this.signal.aborted) return Promise.reject(new Error('aborted'));
    // A signal of this call's own: the Temporal client adds an 'abort' listener (holding the gRPC call) to
    // the signal of every call and never removes it, so handing it the tracker's long-lived signal grew
    // the API's heap by ~80 KB per run. This one is linked to the long-lived signal only for the call.
    const own = new AbortController();
    const forward = () => own.abort();
    this.signal.addEventListener('abort', forward, { once: true });
    const run = () => this.client.withAbortSignal(own.signal, fn);
    const call = timeoutMs ? this.client.withDeadline(Date.now() + timeoutMs, run) : run();
    let calls = inflight.get(this.tracked);
    if (!calls) inflight.set(this.tracked, (calls = new Set()));
    calls.add(call);
    call.then(
      () => calls.delete(call),
      () => calls.delete(call),
    );
    return raceAbort(call, this.signal).finally(() => this.signal.removeEventListener('abort', forward));
  }
}

/** Rejects as soon as the signal aborts, whether or not the underlying call notices. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
