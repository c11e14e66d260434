/** Returns one cycle (as a list of node ids, first repeated last) or undefined when the graph is acyclic. */
export function findCycle(ids: string[], edges: { from: string; to: string }[]): string[] | undefined {
  const next = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const { from, to } of edges) next.get(from)?.push(to);
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];

  const visit = (id: string): string[] | undefined => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const target of next.get(id) ?? []) {
      if (state.get(target) === 'visiting') return [...stack.slice(stack.indexOf(target)), target];
      if (!state.has(target) && next.has(target)) {
        const found = visit(target);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };

  for (const id of ids) {
    if (!state.has(id)) {
      const found = visit(id);
      if (found) return found;
    }
  }
  return undefined;
}
