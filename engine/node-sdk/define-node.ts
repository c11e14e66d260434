/**
 * `defineNode` is the one way to define a node type, built-in or third-party.
 * A definition is plain data plus a `run` function; the registry turns it into catalog entries.
 */
import { z } from 'zod';
import type { PortKind, PortValue } from '../ports.ts';
import type { BlobStore } from '../blob/store.ts';
import type { Logger } from '../logger.ts';
import type { Providers, Usage } from '../providers/types.ts';
import type { VectorStore } from '../vector/store.ts';
import type { InputSizes, NodeForecast } from './forecast.ts';

export interface PortSpec {
  kind: PortKind;
  /** Inputs only: the run cannot start without a value (defaults to true). */
  required?: boolean;
  description?: string;
}
export type PortMap = Record<string, PortSpec>;

/** Ports may depend on params (an input node's kind, a template's placeholders). */
export type Ports<P> = PortMap | ((params: P) => PortMap);

export interface RetrySpec {
  maximumAttempts?: number;
  initialInterval?: string;
  backoffCoefficient?: number;
  maximumInterval?: string;
  /** Error codes (node error `code`s) never retried. */
  nonRetryableCodes?: string[];
}

export interface ExecutionSpec {
  /** Longest a single attempt may take, e.g. "5m". */
  startToCloseTimeout: string;
  /** Set for long nodes: an attempt that stops heartbeating for this long is retried elsewhere. */
  heartbeatTimeout?: string;
  retry: RetrySpec;
  /** Whether the same inputs and params always give an output that may be reused. */
  cacheable: boolean;
  /** Worker pool (task queue suffix) that runs the node; "default" is the main queue. */
  pool: string;
  /**
   * Short (well under a second), deterministic and free of side effects: run as a Temporal local activity,
   * in the worker that runs the workflow, without a round trip through the server's task queue. Never for
   * provider calls, media work or anything costly: a local activity runs again if its worker dies before
   * the workflow records its result.
   */
  local?: boolean;
}

/** How the engine runs a node: `task` as an activity; the others inline in the workflow (`control`: merge, approval, delay, sub-pipeline). */
export type NodeRole = 'task' | 'input' | 'output' | 'control';

/**
 * What a node reaches outside the blob store and providers. A node that reads the worker's disk must
 * declare `localFiles`: pipelines that arrive through the API are refused when they contain one (unless
 * allowed folders are configured), and only declaring nodes get a working `ctx.files`.
 */
export interface NodeAccess<P = unknown> {
  /** `paths`: the worker paths the params name, checked against the allowed folders at validation. */
  localFiles?: { paths(params: P): string[] };
  /**
   * The node may call AI providers: its outputs vary and cost money, so the output cache keeps them only
   * when the pipeline, the node or the run turns caching on (engine/cache/cache-policy.ts).
   */
  providers?: boolean;
}

/** The worker's disk as a node may see it (see engine/files/). */
export interface LocalFiles {
  /**
   * The absolute path to read for a path a pipeline gave. Runs from the local CLI may read what the
   * user can; other runs only under the worker's allowed folders (symlinks resolved). Refusals are
   * non-retryable NodeErrors (FILE_NOT_ALLOWED, INPUT_FILE_NOT_FOUND) naming the path as given.
   */
  resolve(given: string): Promise<string>;
}

export interface NodeContext {
  readonly runId: string;
  readonly nodeId: string;
  readonly attempt: number;
  readonly blobs: BlobStore;
  /** AI providers configured on the worker (see engine/providers/types.ts). */
  readonly providers: Providers;
  /** Named vector collections (embedded SQLite by default). */
  readonly vectors: VectorStore;
  /** Paths on the worker's disk; refuses everything unless the node declares `access.localFiles`. */
  readonly files: LocalFiles;
  readonly log: Logger;
  /** Reports progress (0..1) and heartbeats; call it in long loops. */
  progress(fraction: number, message?: string): void;
  /** Heartbeats without a progress figure. */
  heartbeat(): void;
  /** Records what a provider call consumed; the run reports the totals. */
  recordUsage(usage: Usage): void;
  /** Aborted when the run is cancelled or the attempt timed out. */
  readonly signal: AbortSignal;
}

type ValuesOf<M extends PortMap> = {
  [K in keyof M]: M[K]['required'] extends false ? PortValue<M[K]['kind']> | undefined : PortValue<M[K]['kind']>;
};
type PortsOf<T> = T extends (params: never) => infer R ? (R extends PortMap ? R : PortMap) : T extends PortMap ? T : PortMap;
/** Dynamic ports are not known statically, so their values are loosely typed. */
type RunValues<T> = T extends (...args: never[]) => unknown ? Record<string, unknown> : ValuesOf<PortsOf<T>>;

export interface NodeDefinitionInput<S extends z.ZodType, I extends Ports<z.infer<S>>, O extends Ports<z.infer<S>>> {
  type: string;
  version: number;
  title: string;
  category: string;
  description: string;
  role?: NodeRole;
  params: S;
  inputs: I;
  outputs: O;
  execution?: Partial<Omit<ExecutionSpec, 'retry'>> & { retry?: RetrySpec };
  access?: NodeAccess<z.infer<S>>;
  /** Static checks beyond the params schema, run at validation time (e.g. a model that cannot take images). */
  check?: (params: z.infer<S>, graph: GraphInfo) => string[];
  /** Nodes that call providers: the calls they will make, for a run's cost estimate (engine/node-sdk/forecast.ts). */
  estimate?: (params: z.infer<S>, inputs: InputSizes) => NodeForecast;
  run(ctx: NodeContext, inputs: RunValues<I>, params: z.infer<S>): Promise<Partial<RunValues<O>>> | Partial<RunValues<O>>;
}

/** What a node's static check may know about its place in the graph. */
export interface GraphInfo {
  isConnected(port: string): boolean;
}

/** The erased form the registry and the worker use. */
export interface NodeDefinition {
  readonly type: string;
  readonly version: number;
  readonly title: string;
  readonly category: string;
  readonly description: string;
  readonly role: NodeRole;
  readonly params: z.ZodType;
  readonly execution: ExecutionSpec;
  readonly access: NodeAccess;
  inputsFor(params: unknown): PortMap;
  outputsFor(params: unknown): PortMap;
  /** The static ports, or the ports for default params when they are dynamic (for the catalog). */
  readonly staticInputs: PortMap | undefined;
  readonly staticOutputs: PortMap | undefined;
  check(params: unknown, graph: GraphInfo): string[];
  /** The node's provider calls for a run's cost estimate; absent for nodes that declare none. */
  readonly estimate?: (params: unknown, inputs: InputSizes) => NodeForecast;
  run(ctx: NodeContext, inputs: Record<string, unknown>, params: unknown): Promise<Record<string, unknown>>;
}

export const DEFAULT_EXECUTION: ExecutionSpec = {
  startToCloseTimeout: '5m',
  retry: { maximumAttempts: 3, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
  cacheable: true,
  pool: 'default',
};

export function defineNode<S extends z.ZodType, I extends Ports<z.infer<S>>, O extends Ports<z.infer<S>>>(
  spec: NodeDefinitionInput<S, I, O>,
): NodeDefinition {
  if (!/^[a-z][a-z0-9-]*(\/[a-z][a-z0-9-]*)?$/.test(spec.type)) {
    throw new Error(`Node type "${spec.type}" must be lower-case words joined by dashes (an optional "vendor/" prefix is allowed).`);
  }
  if (!Number.isInteger(spec.version) || spec.version < 1) {
    throw new Error(`Node type "${spec.type}" has version ${spec.version}; versions are integers from 1.`);
  }
  const resolve = (ports: Ports<never>) => (params: unknown): PortMap =>
    typeof ports === 'function' ? (ports as (p: unknown) => PortMap)(params) : ports;
  const { retry, ...execution } = spec.execution ?? {};
  return Object.freeze({
    type: spec.type,
    version: spec.version,
    title: spec.title,
    category: spec.category,
    description: spec.description,
    role: spec.role ?? 'task',
    params: spec.params,
    execution: { ...DEFAULT_EXECUTION, ...execution, retry: { ...DEFAULT_EXECUTION.retry, ...retry } },
    access: (spec.access ?? {}) as NodeAccess,
    inputsFor: resolve(spec.inputs as Ports<never>),
    outputsFor: resolve(spec.outputs as Ports<never>),
    staticInputs: typeof spec.inputs === 'function' ? undefined : (spec.inputs as PortMap),
    staticOutputs: typeof spec.outputs === 'function' ? undefined : (spec.outputs as PortMap),
    check: (params: unknown, graph: GraphInfo) => spec.check?.(params as z.infer<S>, graph) ?? [],
    ...(spec.estimate ? { estimate: (params: unknown, inputs: InputSizes) => spec.estimate!(params as z.infer<S>, inputs) } : {}),
    async run(ctx: NodeContext, inputs: Record<string, unknown>, params: unknown) {
      return (await spec.run(ctx, inputs as never, params as z.infer<S>)) as Record<string, unknown>;
    },
  });
}

/**
 * Throw from `run` for a mistake retrying cannot fix (bad input, bad params, corrupt media).
 * The engine fails the node at once, without retries, with this code and message.
 */
const NODE_ERROR_BRAND = Symbol.for('tessera.NodeError');

export class NodeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** `retryAfterMs`: for retryable errors, the delay the next attempt must wait (a provider's Retry-After). */
    readonly options: { retryable?: boolean; details?: unknown; retryAfterMs?: number } = {},
  ) {
    super(message);
    this.name = 'NodeError';
    Object.defineProperty(this, NODE_ERROR_BRAND, { value: true });
  }

  /**
   * A plugin installed as its own copy of the SDK throws its copy's NodeError: recognised by a brand
   * shared through the global symbol registry rather than by class identity, so it stays non-retryable.
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[NODE_ERROR_BRAND] === true;
  }
}
