/**
 * The one mapping between the canvas graph and a `tessera.pipeline/v1` document, both ways. Pure: no
 * Rete, no DOM, no fetch, so it runs in unit tests (test/editor/mapping.test.ts).
 *
 * - pipelineToGraph: what the canvas draws — nodes with their resolved sockets (from the ports the API
 *   computed for the node's params, else the catalog's static ports), positions, and connections. An edge
 *   naming a port the node no longer has keeps a socket of unknown kind, so it is flagged, never dropped.
 * - graphToPipeline: the document back, with every field the editor does not know (on the pipeline, a node
 *   or an edge) kept as it was, so file -> editor -> file loses nothing.
 */
import type { Pipeline, PipelineEdge, PipelineNode } from '../../../engine/pipeline/schema.ts';
import { isPortKind, type PortKind } from './kinds.ts';
import { joinEndpoint, splitEndpoint } from './endpoints.ts';

export interface PortSpecLike {
  kind: string;
  required?: boolean;
  description?: string;
}
export type PortMapLike = Record<string, PortSpecLike>;

/** The ports of one node: known from the API for its params, from the catalog, or not known. */
export type PortResolver = (node: PipelineNode) => { inputs: PortMapLike; outputs: PortMapLike } | undefined;

export interface GraphPort {
  key: string;
  /** Undefined when the node does not have this port (an edge still names it). */
  kind: PortKind | undefined;
  required: boolean;
  description?: string;
}

export interface GraphNode {
  id: string;
  type: string;
  label: string;
  position: { x: number; y: number };
  inputs: GraphPort[];
  outputs: GraphPort[];
  /** The document's node, all fields (params, options, unknown ones), as the source of truth. */
  node: PipelineNode;
}

export interface GraphEdge {
  /** Stable id: "from->to". */
  id: string;
  source: string;
  sourceOutput: string;
  target: string;
  targetInput: string;
  /** The document's edge with any unknown fields. */
  edge: PipelineEdge;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Everything of the document but nodes and edges (format, name, description, $schema, unknown fields). */
  meta: Omit<Pipeline, 'nodes' | 'edges'>;
}

const GRID = { x: 260, y: 160, columns: 4 };

/** Where a node without a saved position goes: a grid, in file order. */
export function defaultPosition(index: number): { x: number; y: number } {
  return { x: (index % GRID.columns) * GRID.x, y: Math.floor(index / GRID.columns) * GRID.y };
}

export function edgeId(edge: PipelineEdge): string {
  return `${edge.from}->${edge.to}`;
}

export function pipelineToGraph(doc: Pipeline, ports: PortResolver): Graph {
  const { nodes, edges, ...meta } = doc;
  const graphNodes = nodes.map((node, index): GraphNode => {
    const known = ports(node);
    return {
      id: node.id,
      type: node.type,
      label: node.title || node.id,
      position: node.position ? { x: node.position.x, y: node.position.y } : defaultPosition(index),
      inputs: toPorts(known?.inputs),
      outputs: toPorts(known?.outputs),
      node,
    };
  });
  const byId = new Map(graphNodes.map((n) => [n.id, n]));
  const graphEdges: GraphEdge[] = [];
  for (const edge of edges) {
    const from = splitEndpoint(edge.from);
    const to = splitEndpoint(edge.to);
    const source = byId.get(from.node);
    const target = byId.get(to.node);
    // An edge to a node that is not there cannot be drawn; validation reports it (UNKNOWN_NODE) and the
    // document keeps it (graphToPipeline re-adds undrawn edges from `meta`-less bookkeeping below).
    if (!source || !target) continue;
    ensurePort(source.outputs, from.port);
    ensurePort(target.inputs, to.port);
    graphEdges.push({ id: edgeId(edge), source: from.node, sourceOutput: from.port, target: to.node, targetInput: to.port, edge });
  }
  return { nodes: graphNodes, edges: graphEdges, meta };
}

/**
 * The document of a graph. Edges that could not be drawn (their node is missing) are taken from
 * `previous` so an invalid file is not silently repaired by opening it.
 */
export function graphToPipeline(graph: Graph, previous?: Pipeline): Pipeline {
  const nodes = graph.nodes.map((n): PipelineNode => ({ ...n.node, position: { x: Math.round(n.position.x), y: Math.round(n.position.y) } }));
  const drawn = new Set(graph.edges.map((e) => e.id));
  const ids = new Set(nodes.map((n) => n.id));
  const undrawn = (previous?.edges ?? []).filter((e) => !drawn.has(edgeId(e)) && !(ids.has(splitEndpoint(e.from).node) && ids.has(splitEndpoint(e.to).node)));
  const edges = [
    ...graph.edges.map((e): PipelineEdge => ({ ...e.edge, from: joinEndpoint(e.source, e.sourceOutput), to: joinEndpoint(e.target, e.targetInput) })),
    ...undrawn,
  ];
  return { ...graph.meta, nodes, edges } as Pipeline;
}

function toPorts(map: PortMapLike | undefined): GraphPort[] {
  return Object.entries(map ?? {}).map(([key, spec]) => ({
    key,
    kind: isPortKind(spec.kind) ? spec.kind : undefined,
    required: spec.required !== false,
    description: spec.description,
  }));
}

function ensurePort(ports: GraphPort[], key: string): void {
  if (!ports.some((p) => p.key === key)) ports.push({ key, kind: undefined, required: false });
}
