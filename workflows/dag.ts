/** Pure helpers of the DAG interpreter (no Temporal APIs, so they are unit-testable). */
import type { PlanNode } from '../engine/run/plan.ts';

type Values = ReadonlyMap<string, Readonly<Record<string, unknown>>>;

/** Nodes not yet started whose every source node has produced its values. */
export function readyNodes(nodes: readonly PlanNode[], started: ReadonlySet<string>, values: Values): PlanNode[] {
  return nodes.filter(
    (node) => !started.has(node.id) && node.inputs.every((input) => input.sources.every((source) => values.has(source.nodeId))),
  );
}

/**
 * The input values of a node, by port. A list input concatenates its sources in edge order (a single
 * value is wrapped, a list is spread); a single input takes its one source. Absent values are skipped.
 */
export function gatherInputs(node: PlanNode, values: Values): Record<string, unknown> {
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
