/**
 * Which nodes a run needs: what its results depend on (output nodes, and nodes nothing reads such as an
 * index write), or only `to` and its ancestors, walking back through edges but never through a pinned
 * node (its values are given). One rule for the run plan (engine/run/plan.ts) and the editor's run form
 * (which inputs to ask for); pure, so the browser bundle takes it.
 */
export interface NeedGraph {
  nodes: { id: string; output: boolean; pinned: boolean }[];
  /** Node ids, source to target. */
  edges: { from: string; to: string }[];
}

export function neededNodeIds(graph: NeedGraph, to?: string): Set<string> {
  const sourcesOf = new Map<string, string[]>();
  const consumed = new Set<string>();
  for (const e of graph.edges) {
    sourcesOf.set(e.to, [...(sourcesOf.get(e.to) ?? []), e.from]);
    consumed.add(e.from);
  }
  const pinned = new Set(graph.nodes.filter((n) => n.pinned).map((n) => n.id));
  const roots = to !== undefined ? [to] : graph.nodes.filter((n) => n.output || !consumed.has(n.id)).map((n) => n.id);
  const needed = new Set<string>();
  const visit = (id: string) => {
    if (needed.has(id)) return;
    needed.add(id);
    if (pinned.has(id)) return;
    for (const source of sourcesOf.get(id) ?? []) visit(source);
  };
  roots.forEach(visit);
  return needed;
}
