/**
 * "Run from here": the pipeline with every task node upstream of `from` pinned to what it produced in an
 * earlier run, so those nodes do not run and cost nothing. Shared by the API (the earlier run read from
 * the store) and the CLI (read from Temporal). An upstream node that changed since that run (type,
 * version or params) or did not succeed in it is refused rather than stand in with a stale value.
 */
import { canonicalJson } from '../cache/cache-key.ts';
import { TesseraError, type ErrorCode } from '../errors.ts';
import type { Pipeline } from '../pipeline/schema.ts';
import type { ValidPipeline } from '../pipeline/validate.ts';
import type { NodeState } from './plan.ts';

export interface EarlierRun {
  id: string;
  /** The earlier run's nodes as it ran them. */
  nodes: Map<string, { type: string; version?: number; params?: unknown }>;
  states: Record<string, NodeState>;
  /** What a node produced in it (undefined: not available). */
  outputs(nodeId: string): Promise<Record<string, unknown> | undefined>;
}

export interface PartialRun {
  /** Run from here: reuse the upstream outputs of this earlier run. */
  fromRun?: string;
  from?: string;
  /** Run to here: only this node and its ancestors. */
  to?: string;
}

export function checkPartial(valid: ValidPipeline, partial: PartialRun): void {
  if ((partial.fromRun === undefined) !== (partial.from === undefined)) {
    throw new TesseraError('REQUEST_INVALID', '"from" and "fromRun" (--from and --from-run) go together: the node to run from, and the earlier run whose outputs upstream of it are reused.', { details: { field: partial.from === undefined ? 'from' : 'fromRun' } });
  }
  if (partial.from !== undefined && partial.to !== undefined) throw new TesseraError('REQUEST_INVALID', 'Give "from" or "to", not both.', { details: { field: 'to' } });
  for (const field of ['from', 'to'] as const) {
    const nodeId = partial[field];
    if (nodeId !== undefined && !valid.nodes.has(nodeId)) throw new TesseraError('RUN_NODE_NOT_FOUND', `The pipeline has no node "${nodeId}" to run ${field} (field "${field}").`, { nodeId, details: { field, nodeId } });
  }
}

/** The nodes upstream of `nodeId` (not itself). */
export function ancestors(valid: ValidPipeline, nodeId: string): Set<string> {
  const found = new Set<string>();
  const walk = (id: string) => {
    for (const e of valid.edges) {
      if (e.to.nodeId !== id || found.has(e.from.nodeId)) continue;
      found.add(e.from.nodeId);
      walk(e.from.nodeId);
    }
  };
  walk(nodeId);
  return found;
}

function refuse(code: ErrorCode, message: string, nodeId: string): never {
  throw new TesseraError(code, message, { nodeId, details: { nodeId } });
}

/** The earlier run's params are as saved (API) or as parsed with defaults (a plan, CLI): either matches. */
function sameParams(before: unknown, raw: unknown, parsed: unknown): boolean {
  const was = canonicalJson(before ?? {});
  return was === canonicalJson(raw ?? {}) || was === canonicalJson(parsed ?? {});
}

export async function pinUpstream(document: Pipeline, valid: ValidPipeline, earlier: EarlierRun, from: string): Promise<Pipeline> {
  if (!valid.nodes.has(from)) refuse('RUN_NODE_NOT_FOUND', `The pipeline has no node "${from}" to run from.`, from);
  const pins = new Map<string, Record<string, unknown>>();
  for (const nodeId of ancestors(valid, from)) {
    const resolved = valid.nodes.get(nodeId)!;
    if (resolved.definition.role !== 'task') continue; // input nodes take the run's inputs
    const before = earlier.nodes.get(nodeId);
    const same = before && before.type === resolved.node.type && (before.version ?? resolved.definition.version) === resolved.definition.version && sameParams(before.params, resolved.node.params, resolved.params);
    if (!same) refuse('REQUEST_INVALID', `Node "${nodeId}" (upstream of "${from}") is not the same as in run "${earlier.id}": its outputs there cannot stand for it now. Run from "${nodeId}", or the whole pipeline.`, nodeId);
    const status = earlier.states[nodeId]?.status;
    if (status !== 'succeeded') refuse('NODE_OUTPUTS_NOT_READY', `Node "${nodeId}" (upstream of "${from}") did not succeed in run "${earlier.id}" (${status ?? 'never ran'}); run from "${nodeId}" instead.`, nodeId);
    const outputs = await earlier.outputs(nodeId);
    if (!outputs) refuse('NODE_OUTPUTS_UNAVAILABLE', `The outputs of node "${nodeId}" in run "${earlier.id}" were not recorded, and no worker could answer for that run.`, nodeId);
    pins.set(nodeId, outputs);
  }
  return {
    ...document,
    nodes: document.nodes.map((n) => (pins.has(n.id) ? { ...n, pinned: { outputs: pins.get(n.id)!, from: { runId: earlier.id, nodeId: n.id } } } : n)),
  };
}
