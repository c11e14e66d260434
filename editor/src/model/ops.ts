/**
 * Edits of the pipeline document, the editor's source of truth. Pure functions returning new documents,
 * so undo/redo is a list of documents and every change goes through here.
 */
import type { Pipeline, PipelineEdge, PipelineNode } from '../../../engine/pipeline/schema.ts';
import { PIPELINE_FORMAT } from '../../../engine/pipeline/schema.ts';
import { splitEndpoint } from './endpoints.ts';

export function emptyPipeline(name = 'untitled'): Pipeline {
  return { format: PIPELINE_FORMAT, name, nodes: [], edges: [] };
}

/** A node id not yet used in the document: "transcribe", "transcribe-2", ... (ids allow letters, digits, - and _). */
export function freeId(doc: Pipeline, base: string, taken: Set<string> = new Set()): string {
  const used = new Set([...doc.nodes.map((n) => n.id), ...taken]);
  let stem = base.replace(/[^A-Za-z0-9_-]/g, '-').replace(/^[^A-Za-z_]+/, '') || 'node';
  stem = stem.slice(0, 56);
  if (!used.has(stem)) return stem;
  for (let i = 2; ; i++) if (!used.has(`${stem}-${i}`)) return `${stem}-${i}`;
}

export function addNode(doc: Pipeline, node: Omit<PipelineNode, 'id'> & { id?: string }): { doc: Pipeline; id: string } {
  const id = node.id && !doc.nodes.some((n) => n.id === node.id) ? node.id : freeId(doc, node.id ?? node.type.split('/').pop()!);
  return { doc: { ...doc, nodes: [...doc.nodes, { ...node, id } as PipelineNode] }, id };
}

export function removeNodes(doc: Pipeline, ids: Iterable<string>): Pipeline {
  const gone = new Set(ids);
  return {
    ...doc,
    nodes: doc.nodes.filter((n) => !gone.has(n.id)),
    edges: doc.edges.filter((e) => !gone.has(splitEndpoint(e.from).node) && !gone.has(splitEndpoint(e.to).node)),
  };
}

export function updateNode(doc: Pipeline, id: string, change: (node: PipelineNode) => PipelineNode): Pipeline {
  return { ...doc, nodes: doc.nodes.map((n) => (n.id === id ? change(n) : n)) };
}

/** Renames a node and every edge endpoint naming it. */
export function renameNode(doc: Pipeline, from: string, to: string): Pipeline {
  const swap = (endpoint: string) => {
    const { node, port } = splitEndpoint(endpoint);
    return node === from ? `${to}.${port}` : endpoint;
  };
  return {
    ...doc,
    nodes: doc.nodes.map((n) => (n.id === from ? { ...n, id: to } : n)),
    edges: doc.edges.map((e) => ({ ...e, from: swap(e.from), to: swap(e.to) })),
  };
}

export function addEdge(doc: Pipeline, edge: PipelineEdge): Pipeline {
  if (doc.edges.some((e) => e.from === edge.from && e.to === edge.to)) return doc;
  return { ...doc, edges: [...doc.edges, edge] };
}

export function removeEdge(doc: Pipeline, edge: { from: string; to: string }): Pipeline {
  return { ...doc, edges: doc.edges.filter((e) => !(e.from === edge.from && e.to === edge.to)) };
}

export function moveNodes(doc: Pipeline, positions: Map<string, { x: number; y: number }>): Pipeline {
  return {
    ...doc,
    nodes: doc.nodes.map((n) => {
      const p = positions.get(n.id);
      return p ? { ...n, position: { x: Math.round(p.x), y: Math.round(p.y) } } : n;
    }),
  };
}

/**
 * The selected nodes and the edges between them, as a pipeline file of its own: what copy puts on the
 * clipboard, so it pastes into another pipeline, or into a text editor as a valid file.
 */
export function fragmentOf(doc: Pipeline, ids: Iterable<string>): Pipeline {
  const picked = new Set(ids);
  return {
    format: PIPELINE_FORMAT,
    name: `${doc.name} (fragment)`,
    nodes: doc.nodes.filter((n) => picked.has(n.id)),
    edges: doc.edges.filter((e) => picked.has(splitEndpoint(e.from).node) && picked.has(splitEndpoint(e.to).node)),
  };
}

/** Reads clipboard text as a fragment; undefined when it is not a pipeline file. */
export function parseFragment(text: string): Pipeline | undefined {
  try {
    const value = JSON.parse(text) as Partial<Pipeline>;
    if (value?.format !== PIPELINE_FORMAT || !Array.isArray(value.nodes) || !Array.isArray(value.edges)) return undefined;
    return value as Pipeline;
  } catch {
    return undefined;
  }
}

/** Pastes a fragment: nodes get free ids (edges follow the renames) and are shifted by `offset`. */
export function pasteFragment(doc: Pipeline, fragment: Pipeline, offset: { x: number; y: number }): { doc: Pipeline; ids: string[] } {
  const renames = new Map<string, string>();
  const taken = new Set<string>();
  for (const node of fragment.nodes) {
    const id = freeId(doc, node.id, taken);
    taken.add(id);
    renames.set(node.id, id);
  }
  const move = (endpoint: string) => {
    const { node, port } = splitEndpoint(endpoint);
    return `${renames.get(node) ?? node}.${port}`;
  };
  const nodes = fragment.nodes.map((n, i) => {
    const at = n.position ?? { x: i * 40, y: i * 40 };
    return { ...n, id: renames.get(n.id)!, position: { x: at.x + offset.x, y: at.y + offset.y } };
  });
  const edges = fragment.edges.filter((e) => renames.has(splitEndpoint(e.from).node) && renames.has(splitEndpoint(e.to).node)).map((e) => ({ ...e, from: move(e.from), to: move(e.to) }));
  return { doc: { ...doc, nodes: [...doc.nodes, ...nodes], edges: [...doc.edges, ...edges] }, ids: nodes.map((n) => n.id) };
}
