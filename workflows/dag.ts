/** Pure helpers of the DAG interpreter (no Temporal APIs, so they are unit-testable). */
import type { PlanNode, PlanSource } from '../engine/run/plan.ts';

type Values = ReadonlyMap<string, Readonly<Record<string, unknown>>>;

/** What the interpreter knows of the nodes that finished: their values, and which were skipped. */
export interface Settled {
  values: Values;
  /** Nodes on a branch's path not taken (empty in pipelines without branches). */
  skipped: ReadonlySet<string>;
  /** Flow nodes (branch, approval...) by id: only their missing outputs mean "not taken". */
  control: ReadonlySet<string>;
}

const settledSource = (s: Settled) => (source: PlanSource) => s.values.has(source.nodeId) || s.skipped.has(source.nodeId);

/**
 * A source that will never give a value: its node was skipped, or it is a flow node that finished without
 * this output (the branch not taken, a rejection that skips).
 */
function deadSource(s: Settled, source: PlanSource): boolean {
  if (s.skipped.has(source.nodeId)) return true;
  return s.control.has(source.nodeId) && s.values.has(source.nodeId) && s.values.get(source.nodeId)![source.port] === undefined;
}

function liveValue(s: Settled, source: PlanSource): boolean {
  return s.values.get(source.nodeId)?.[source.port] !== undefined;
}

/**
 * Nodes not yet started whose every source node has finished (produced its values or was skipped). A
 * merge is ready as soon as one of its sources has a value, or when all of them have finished.
 */
export function readyNodes(nodes: readonly PlanNode[], started: ReadonlySet<string>, s: Settled): PlanNode[] {
  const settled = settledSource(s);
  return nodes.filter((node) => {
    if (started.has(node.id)) return false;
    const sources = node.inputs.flatMap((input) => input.sources);
    if (node.control === 'merge' && sources.some((source) => liveValue(s, source))) return true;
    return sources.every(settled);
  });
}

/** A ready node is skipped when one of its required inputs has sources and none of them will ever give a value. */
export function isSkipped(node: PlanNode, s: Settled): boolean {
  if (node.control === 'merge') return firstArrived(node, s, []) === undefined;
  return node.inputs.some((input) => !input.optional && input.sources.length > 0 && input.sources.every((source) => deadSource(s, source)));
}

/** A merge's value: the source value that arrived first (`arrivals`: node ids in the order they finished). */
export function firstArrived(node: PlanNode, s: Settled, arrivals: readonly string[]): unknown {
  const live = node.inputs.flatMap((input) => input.sources).filter((source) => liveValue(s, source));
  if (live.length === 0) return undefined;
  const order = (source: PlanSource) => {
    const at = arrivals.indexOf(source.nodeId);
    return at === -1 ? Number.MAX_SAFE_INTEGER : at;
  };
  const first = live.reduce((best, source) => (order(source) < order(best) ? source : best));
  return s.values.get(first.nodeId)![first.port];
}

/**
 * The input values of a node, by port. A list input concatenates its sources in edge order (a single
 * value is wrapped, a list is spread); a single input takes its one source. Absent values are skipped.
 */
export function gatherInputs(node: Pick<PlanNode, 'inputs'>, values: Values): Record<string, unknown> {
  const gathered: Record<string, unknown> = {};
  for (const input of node.inputs) {
    if (input.sources.length === 0) continue;
    const sourceValues = input.sources.map((source) => ({ source, value: values.get(source.nodeId)?.[source.port] }));
    if (input.list) {
      gathered[input.port] = sourceValues.flatMap(({ source, value }) => {
        if (value === undefined) return [];
        return source.mode === 'wrap' ? [value] : (value as unknown[]);
      });
    } else if (sourceValues[0].value !== undefined) {
      gathered[input.port] = sourceValues[0].value;
    }
  }
  return gathered;
}
