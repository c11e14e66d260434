/**
 * The run plan: a frozen, self-contained snapshot of a validated pipeline that the workflow interprets.
 * It carries everything the workflow needs (ports, sources, activity options) so that workflow code
 * never touches the registry, and a saved pipeline changing later cannot change a running run.
 */
import type { NodeRole } from '../node-sdk/define-node.ts';
import type { RunOrigin } from '../files/policy.ts';
import type { ValidPipeline } from '../pipeline/validate.ts';
import type { Usage } from '../providers/types.ts';
import { isListKind } from '../ports.ts';
import { neededNodeIds } from '../pipeline/needed-nodes.ts';
import { nodeCacheUse, type CacheMode, type NodeCacheUse } from '../cache/cache-policy.ts';
import { concatenatedPorts, DEFAULT_MAP_CONCURRENCY } from '../pipeline/map-ports.ts';
import type { BudgetSummary } from '../../workflows/budget-ledger.ts';

export interface PlanSource {
  nodeId: string;
  port: string;
  /** `wrap`: a single value feeding a list input. */
  mode: 'same' | 'wrap';
}

export interface PlanInput {
  port: string;
  /** List inputs concatenate all their sources; single inputs take the one source. */
  list: boolean;
  sources: PlanSource[];
  /** The node runs without it (absent in plans made before branches: there, nothing is ever skipped). */
  optional?: true;
}

/** Flow nodes the workflow runs itself (and `branch`, a local activity whose untaken output skips what follows). */
export type ControlKind = 'branch' | 'merge' | 'approval' | 'delay' | 'pipeline';

/** A node run once per item of the list on `port` (the file's `map`). */
export interface PlanMap {
  port: string;
  concurrency: number;
  onItemError: 'fail' | 'continue';
  /** The node's own output ports (each becomes a list). */
  outputs: string[];
  /** Outputs whose per-item values are lists: concatenated across items instead of listed. */
  concat: string[];
}

export interface PlanActivityOptions {
  /** A local activity (in the workflow's worker, no task-queue round trip); absent in older plans: regular. */
  local?: true;
  taskQueue: string;
  startToCloseTimeout: string;
  heartbeatTimeout?: string;
  retry: { maximumAttempts: number; initialInterval: string; backoffCoefficient: number; maximumInterval: string };
}

export interface PlanNode {
  id: string;
  type: string;
  version: number;
  role: NodeRole;
  params: unknown;
  inputs: PlanInput[];
  activity: PlanActivityOptions;
  /** What the node does with the output cache (absent: nothing, as in plans made before the cache). */
  cache?: NodeCacheUse;
  /** Most output tokens each of the node's provider calls may generate (its `maxOutputTokens` option). */
  maxOutputTokens?: number;
  /** Pinned outputs: the node does not run, these are its values (its inputs are then empty). */
  pinned?: Record<string, unknown>;
  /** Where pinned values came from, when from an earlier run (a partial run, or a pin taken from a run). */
  pinnedFrom?: { runId: string; nodeId: string };
  control?: ControlKind;
  map?: PlanMap;
  /** `pipeline` nodes: the saved version's own plan, frozen into this one, and its inputs' defaults. */
  child?: { pipelineId: string; version: number; plan: RunPlan; defaults: Record<string, unknown> };
}

export interface RunPlan {
  pipelineName: string;
  nodes: PlanNode[];
  /**
   * Who started the run: `cli` (the local `tessera run`) may read any file the user can; anything else,
   * including plans recorded before this field existed, reads only under the worker's allowed folders.
   */
  origin?: RunOrigin;
  /** The run's budget (the run's own, else the pipeline's): provider calls that would go over it are refused. */
  budget?: { usd: number };
}

export interface RunPipelineInput {
  plan: RunPlan;
  /** Pipeline inputs by input name, already checked against the input nodes' kinds. */
  inputs: Record<string, unknown>;
}

/** `waiting`: an approval waits for a person, or a delay for its time. `skipped`: on a branch's path not taken. */
export type NodeStatus = 'pending' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled' | 'skipped';

export interface ApprovalState {
  instructions?: string;
  /** Set once decided. */
  decision?: 'approved' | 'rejected';
  /** The reviewer replaced the value. */
  edited?: boolean;
  /** The decision was the node's `onTimeout`. */
  timedOut?: boolean;
  by?: string;
  reason?: string;
}

export interface NodeState {
  status: NodeStatus;
  /** Succeeded with pinned values (it did not run): true, or the run and node they were taken from. */
  pinned?: true | { runId: string; nodeId: string };
  /** Succeeded with outputs from the cache: the node did not run, and nothing was charged. */
  cached?: boolean;
  usage?: Usage[];
  attempt?: number;
  startedAt?: string;
  endedAt?: string;
  error?: { message: string; code?: string; details?: unknown };
  /** Mapped nodes: how many items there are, have finished, failed, and came from the output cache. */
  items?: { total: number; done: number; failed: number; cached?: number };
  /** `pipeline` nodes: the child run (its workflow id) and the saved version it runs. */
  child?: { runId: string; pipelineId: string; version: number };
  /** Waiting nodes: when a delay ends, or an approval times out. */
  waitingUntil?: string;
  approval?: ApprovalState;
}

export interface RunPipelineResult {
  outputs: Record<string, unknown>;
  nodes: Record<string, NodeState>;
  /** Runs with a budget: the ledger at the end (spent, still held, per node). */
  budget?: BudgetSummary;
}

/** Totals over every node of a run (costUsd sums only the calls with a known price). */
export interface UsageTotals {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  audioSeconds: number;
  images: number;
  costUsd: number;
}

export function usageTotals(nodes: Record<string, NodeState>): UsageTotals {
  const totals: UsageTotals = { calls: 0, inputTokens: 0, outputTokens: 0, audioSeconds: 0, images: 0, costUsd: 0 };
  for (const state of Object.values(nodes)) {
    for (const u of state.usage ?? []) {
      totals.calls += 1;
      totals.inputTokens += u.inputTokens ?? 0;
      totals.outputTokens += u.outputTokens ?? 0;
      totals.audioSeconds += u.audioSeconds ?? 0;
      totals.images += u.images ?? 0;
      totals.costUsd += u.costUsd ?? 0;
    }
  }
  totals.costUsd = Math.round(totals.costUsd * 1e6) / 1e6;
  return totals;
}

/** What the single generic activity receives. */
export interface RunNodeRequest {
  nodeId: string;
  type: string;
  version: number;
  params: unknown;
  inputs: Record<string, unknown>;
  /** The plan's origin; absent for plans without one (treated as untrusted). */
  origin?: RunOrigin;
  /** What the node does with the output cache (absent: nothing). */
  cache?: NodeCacheUse;
  /** The run has a budget: reserve each provider call's estimated cost with the workflow first. */
  budget?: true;
  /** The node's limit on output tokens per provider call. */
  maxOutputTokens?: number;
  /** Mapped nodes: which item this is (0-based); the node's progress is counted in items, not reported by each. */
  item?: number;
  /** Items run by a batch workflow: the run's workflow, which keeps the budget (absent: the calling workflow). */
  ledgerWorkflowId?: string;
}

export interface RunNodeResult {
  /** The node (local activities have no activity id of their own in history; this names them). */
  nodeId?: string;
  outputs: Record<string, unknown>;
  attempt: number;
  /** The outputs came from the cache (the node did not run). */
  cached?: boolean;
  /** Provider calls made by the successful attempt. */
  usage?: Usage[];
}

/**
 * Consecutive cheap nodes run in one local activity (workflows/cheap-chain.ts): each node's request
 * without its inputs, which the worker gathers from `values` (the outputs of the nodes outside the chain
 * that it reads) and from the outputs of the chain's nodes before it, exactly as the workflow would.
 */
export interface RunChainRequest {
  nodes: Array<{ request: RunNodeRequest; inputs: PlanInput[] }>;
  values: Record<string, Record<string, unknown>>;
}

export interface RunChainResult {
  /** The nodes that succeeded, in order: a prefix of the chain (the rest did not run). */
  results: RunNodeResult[];
  /** The node that failed, if one did: the workflow runs it on its own, with its retry policy. */
  failed?: string;
}

/** Task queue names: the default pool is the base queue, other pools get a suffix. */
export function taskQueueFor(baseQueue: string, pool: string): string {
  return pool === 'default' ? baseQueue : `${baseQueue}-${pool}`;
}

/** The nodes a run needs (engine/pipeline/needed-nodes.ts), or only `to` and what it needs. */
export function neededNodes(valid: ValidPipeline, to?: string): Set<string> {
  return neededNodeIds(
    {
      nodes: [...valid.nodes].map(([id, r]) => ({ id, output: r.definition.role === 'output', pinned: !!r.node.pinned })),
      edges: valid.edges.map((e) => ({ from: e.from.nodeId, to: e.to.nodeId })),
    },
    to,
  );
}

/** The pipeline with only the nodes (and edges) a run needs: what `neededNodes` keeps. */
export function scopePipeline(valid: ValidPipeline, to?: string): ValidPipeline {
  const needed = neededNodes(valid, to);
  if (needed.size === valid.nodes.size) return valid;
  return {
    ...valid,
    nodes: new Map([...valid.nodes].filter(([id]) => needed.has(id))),
    edges: valid.edges.filter((e) => needed.has(e.from.nodeId) && needed.has(e.to.nodeId)),
  };
}

const CONTROL_TYPES = new Set<ControlKind>(['merge', 'approval', 'delay', 'pipeline']);

/** The flow kind of a built-in flow node; undefined for every other node. */
function controlKind(type: string, role: NodeRole): ControlKind | undefined {
  if (type === 'branch' && role === 'task') return 'branch';
  return role === 'control' && CONTROL_TYPES.has(type as ControlKind) ? (type as ControlKind) : undefined;
}

/** A pipeline's input defaults by input name (a sub-pipeline's child gets them when the parent sends nothing). */
function inputDefaults(valid: ValidPipeline): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const resolved of valid.nodes.values()) {
    const params = resolved.params as { name: string; default?: unknown };
    if (resolved.definition.role === 'input' && params.default !== undefined) defaults[params.name] = params.default;
  }
  return defaults;
}

/** `origin`: 'api' for runs the API starts (runs, webhooks, schedules), 'cli' only for the local `tessera run`. */
/**
 * `cacheMode`: the run's use of the output cache. `to`: run only this node and what it needs (a "run to
 * here"). Pinned nodes do not run, and nodes that only feed pinned nodes are left out of the plan.
 */
export function compilePlan(full: ValidPipeline, baseQueue: string, origin?: RunOrigin, cacheMode: CacheMode = 'auto', scope: { to?: string } = {}): RunPlan {
  const nodes: PlanNode[] = [];
  const valid = scopePipeline(full, scope.to);
  for (const [id, resolved] of valid.nodes) {
    const { definition, node } = resolved;
    const execution = definition.execution;
    const options = node.options ?? {};
    const inputs: PlanInput[] = Object.entries(resolved.inputs).map(([port, spec]) => ({
      port,
      list: isListKind(spec.kind),
      sources: valid.edges
        .filter((e) => e.to.nodeId === id && e.to.port === port)
        .map((e) => ({ nodeId: e.from.nodeId, port: e.from.port, mode: e.mode })),
      ...(spec.required === false ? { optional: true as const } : {}),
    }));
    const control = controlKind(definition.type, definition.role);
    const heartbeatTimeout = options.heartbeatTimeout ?? execution.heartbeatTimeout;
    const cache = definition.role === 'task'
      ? nodeCacheUse({ cacheable: execution.cacheable, usesProviders: !!definition.access.providers, pipelineCache: valid.pipeline.cache, nodeCache: options.cache }, cacheMode)
      : undefined;
    nodes.push({
      id,
      type: definition.type,
      version: definition.version,
      role: definition.role,
      params: resolved.params,
      inputs,
      activity: {
        // A local activity runs in the workflow's own worker: only nodes on the default pool can be local.
        ...((options.local ?? execution.local) && (options.pool ?? execution.pool) === 'default' ? { local: true as const } : {}),
        taskQueue: taskQueueFor(baseQueue, options.pool ?? execution.pool),
        startToCloseTimeout: options.timeout ?? execution.startToCloseTimeout,
        ...(heartbeatTimeout ? { heartbeatTimeout } : {}),
        retry: {
          maximumAttempts: options.retry?.maximumAttempts ?? execution.retry.maximumAttempts ?? 3,
          initialInterval: options.retry?.initialInterval ?? execution.retry.initialInterval ?? '1s',
          backoffCoefficient: options.retry?.backoffCoefficient ?? execution.retry.backoffCoefficient ?? 2,
          maximumInterval: options.retry?.maximumInterval ?? execution.retry.maximumInterval ?? '30s',
        },
      },
      ...(cache ? { cache } : {}),
      ...(options.maxOutputTokens ? { maxOutputTokens: options.maxOutputTokens } : {}),
      ...(node.pinned ? { pinned: node.pinned.outputs, ...(node.pinned.from ? { pinnedFrom: node.pinned.from } : {}) } : {}),
      ...(control ? { control } : {}),
      ...(node.map ? { map: {
        port: node.map.port,
        concurrency: node.map.concurrency ?? DEFAULT_MAP_CONCURRENCY,
        onItemError: node.map.onItemError ?? 'fail',
        outputs: Object.keys(definition.outputsFor(resolved.params)),
        concat: concatenatedPorts(definition.outputsFor(resolved.params)),
      } } : {}),
      ...(resolved.child ? { child: {
        pipelineId: resolved.child.id,
        version: resolved.child.version,
        // The child runs with the parent's cache mode and origin; its own budget (if any) applies to it.
        plan: compilePlan(resolved.child.valid, baseQueue, origin, cacheMode),
        defaults: inputDefaults(resolved.child.valid),
      } } : {}),
    });
    // A pinned node reads nothing: its sources need not have run.
    if (node.pinned) nodes.at(-1)!.inputs = [];
  }
  return { pipelineName: valid.pipeline.name, nodes, ...(origin ? { origin } : {}), ...(valid.pipeline.budget ? { budget: { usd: valid.pipeline.budget.usd } } : {}) };
}
