/**
 * Sub-pipelines: `pipeline` nodes run a saved pipeline version as a child workflow. Validation is
 * synchronous, so the saved versions a document reaches (directly or through its children) are loaded
 * first (`loadSubPipelines`), then looked up while validating; the child's input and output nodes become
 * the node's ports (`subPipelinePorts`).
 */
import type { PortKind } from '../ports.ts';
import type { PortMap } from '../node-sdk/define-node.ts';
import type { ValidPipeline } from './validate.ts';

export interface SavedVersion {
  id: string;
  version: number;
  document: unknown;
}

/** Saved pipelines by id: a given version, or the latest without one. */
export interface SubPipelineSource {
  get(id: string, version?: number): SavedVersion | undefined;
}

/** Loads a saved pipeline version (the latest when `version` is absent); undefined when there is none. */
export type LoadSaved = (id: string, version?: number) => Promise<SavedVersion | undefined>;

const MAX_SUB_PIPELINES = 200;

/** Every saved version a document reaches through `pipeline` nodes, loaded into a synchronous source. */
export async function loadSubPipelines(document: unknown, load: LoadSaved): Promise<SubPipelineSource> {
  const found = new Map<string, SavedVersion | undefined>();
  const pending = [...pipelineRefs(document)];
  while (pending.length && found.size < MAX_SUB_PIPELINES) {
    const ref = pending.pop()!;
    const key = refKey(ref.id, ref.version);
    if (found.has(key)) continue;
    const saved = await load(ref.id, ref.version);
    found.set(key, saved);
    if (saved) {
      found.set(refKey(saved.id, saved.version), saved);
      pending.push(...pipelineRefs(saved.document));
    }
  }
  return { get: (id, version) => found.get(refKey(id, version)) };
}

/** The `pipeline` nodes' references in a document (loosely read: the document is not validated yet). */
export function pipelineRefs(document: unknown): { id: string; version?: number }[] {
  const nodes = (document as { nodes?: unknown })?.nodes;
  if (!Array.isArray(nodes)) return [];
  return nodes.flatMap((node: { type?: unknown; params?: { pipeline?: unknown; version?: unknown } }) => {
    const id = node?.params?.pipeline;
    if (node?.type !== 'pipeline' || typeof id !== 'string') return [];
    const version = node.params?.version;
    return [{ id, ...(typeof version === 'number' ? { version } : {}) }];
  });
}

function refKey(id: string, version?: number): string {
  return version === undefined ? `${id}@latest` : `${id}@${version}`;
}

/** The child's input nodes as inputs (required unless they have a default) and its output nodes as outputs. */
export function subPipelinePorts(child: ValidPipeline): { inputs: PortMap; outputs: PortMap } {
  const inputs: PortMap = {};
  const outputs: PortMap = {};
  for (const [id, resolved] of child.nodes) {
    const params = resolved.params as { name: string; kind?: PortKind; default?: unknown; description?: string };
    if (resolved.definition.role === 'input') {
      inputs[params.name] = { kind: params.kind!, required: params.default === undefined, ...(params.description ? { description: params.description } : {}) };
    } else if (resolved.definition.role === 'output') {
      const edge = child.edges.find((e) => e.to.nodeId === id);
      const kind = edge ? child.nodes.get(edge.from.nodeId)?.outputs[edge.from.port]?.kind : undefined;
      outputs[params.name] = { kind: kind ?? 'json', ...(params.description ? { description: params.description } : {}) };
    }
  }
  return { inputs, outputs };
}
