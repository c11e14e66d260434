/**
 * Which saved pipeline `tessera run <file> --server` runs. Saving the file anew on every run filled the
 * server with copies; now the pipeline saved under the file's name is reused: its latest version when the
 * content is the same, a new version of it when the file changed, a new pipeline when none has the name.
 * "The same" is judged as the server would store the file: node versions pinned to the server's latest, and
 * sub-pipelines to their latest saved version.
 */
import { isDeepStrictEqual } from 'node:util';
import type { TesseraClient } from '../api/client/client.ts';
import type { Pipeline } from '../pipeline/schema.ts';
import type { PipelineRecord } from '../store/types.ts';

export interface ChosenPipeline {
  pipelineId: string;
  version: number;
  document: Pipeline;
  /** What happened on the server: nothing saved, a new version, or a new pipeline. */
  saved: 'reused' | 'new-version' | 'new-pipeline';
}

export async function savedPipelineFor(client: TesseraClient, document: Pipeline): Promise<ChosenPipeline> {
  const existing = await findByName(client, document.name);
  if (!existing) {
    const created = await client.createPipeline(document);
    return { pipelineId: created.pipeline.id, version: created.version.version, document: created.version.document, saved: 'new-pipeline' };
  }
  const latest = await client.getVersion(existing.id);
  if (isDeepStrictEqual(await pinned(client, document), latest.document)) {
    return { pipelineId: existing.id, version: latest.version, document: latest.document, saved: 'reused' };
  }
  const updated = await client.updatePipeline(existing.id, document);
  return { pipelineId: existing.id, version: updated.version.version, document: updated.version.document, saved: 'new-version' };
}

/** The most recently updated pipeline with this name, if any. */
async function findByName(client: TesseraClient, name: string): Promise<PipelineRecord | undefined> {
  let best: PipelineRecord | undefined;
  let cursor: string | undefined;
  do {
    const page = await client.listPipelines({ limit: 100, cursor });
    for (const p of page.items) if (p.name === name && (!best || p.updatedAt > best.updatedAt)) best = p;
    cursor = page.nextCursor;
  } while (cursor);
  return best;
}

/**
 * The document with every node's version given, as saving pins them (engine/api/pipelines/pipeline-save.ts):
 * node versions at the server's latest, and `pipeline` nodes at their saved child's latest version.
 */
async function pinned(client: TesseraClient, document: Pipeline): Promise<Pipeline> {
  let nodes = document.nodes;
  if (nodes.some((n) => n.version === undefined)) {
    const latest = new Map((await client.listNodeTypes()).filter((t) => t.latest).map((t) => [t.type, t.version]));
    nodes = nodes.map(({ id, type, version, ...rest }) => ({ id, type, version: version ?? latest.get(type), ...rest })) as Pipeline['nodes'];
  }
  nodes = await Promise.all(nodes.map(async (node) => {
    const params = (node.params ?? {}) as { pipeline?: unknown; version?: unknown };
    if (node.type !== 'pipeline' || typeof params.pipeline !== 'string' || params.version !== undefined) return node;
    const child = await client.getPipeline(params.pipeline).catch(() => undefined); // an unknown one: the save reports it
    return child ? { ...node, params: { ...params, version: child.latestVersion } } : node;
  }));
  return { ...document, nodes };
}
