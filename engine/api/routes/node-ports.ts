/**
 * The ports of nodes for given params: an input node's kind, a template's or prompt's {{placeholders}}
 * decide its sockets. The editor asks here (debounced, with the whole canvas) so the port logic stays in
 * the node definitions, on the server, instead of being copied into the browser bundle.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PortMap } from '../../node-sdk/define-node.ts';
import type { ApiDeps } from '../deps.ts';
import { ErrorBody } from '../error-body.ts';
import { mappedInputs, mappedOutputs } from '../../pipeline/map-ports.ts';
import { subPipelinePorts } from '../../pipeline/sub-pipelines.ts';
import { validatePipeline } from '../../pipeline/validate.ts';
import { apiValidateOptions, savedVersions } from '../pipelines/api-validate.ts';

const PortSpecSchema = z.object({ kind: z.string(), required: z.boolean().optional(), description: z.string().optional() });
const PortMapSchema = z.record(z.string(), PortSpecSchema);

export const NodePortsBody = z.object({
  nodes: z
    .array(z.object({
      id: z.string().max(64),
      type: z.string().max(200),
      version: z.number().int().min(1).optional(),
      params: z.record(z.string(), z.unknown()).optional(),
      map: z.object({ port: z.string(), concurrency: z.number().optional(), onItemError: z.enum(['fail', 'continue']).optional() }).optional().describe('A mapped node: its ports as mapped (lists).'),
    }))
    .max(1000),
});

const NodePortsAnswer = z.object({
  items: z.record(
    z.string(),
    z.union([z.object({ inputs: PortMapSchema, outputs: PortMapSchema }), z.object({ error: z.string() })]),
  ),
});

/** A sub-pipeline node's ports: the saved version's input and output nodes (engine/pipeline/sub-pipelines.ts). */
async function childPorts(deps: ApiDeps, params: Record<string, unknown>): Promise<{ inputs: PortMap; outputs: PortMap } | { error: string }> {
  const id = typeof params.pipeline === 'string' ? params.pipeline : undefined;
  if (!id) return { inputs: {}, outputs: {} }; // not chosen yet
  const version = typeof params.version === 'number' ? params.version : undefined;
  const saved = await savedVersions(deps.store)(id, version);
  if (!saved) return { error: `No saved pipeline "${id}"${version ? ` version ${version}` : ''}.` };
  const child = validatePipeline(saved.document, deps.registry, await apiValidateOptions(deps, saved.document, saved.id));
  if (!child.ok) return { error: `Pipeline "${id}" version ${saved.version} is not valid: ${child.errors[0].message}` };
  const ports = subPipelinePorts(child.value);
  return { inputs: typed(ports.inputs), outputs: typed(ports.outputs) };
}

export function nodePortsRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/node-types/ports',
    {
      schema: {
        tags: ['node types'],
        summary: 'The ports of each given node for its params (for an editor; unknown types or params that do not fit answer an error per node).',
        body: NodePortsBody,
        response: { 200: NodePortsAnswer, 400: ErrorBody },
      },
    },
    async (request) => {
      const items: z.infer<typeof NodePortsAnswer>['items'] = {};
      for (const node of request.body.nodes) {
        const definition = deps.registry.get(node.type, node.version);
        if (!definition) {
          items[node.id] = { error: `No node type "${node.type}"${node.version ? ` version ${node.version}` : ''}.` };
          continue;
        }
        if (definition.type === 'pipeline' && definition.role === 'control') {
          items[node.id] = await childPorts(deps, node.params ?? {});
          continue;
        }
        // Port functions expect parsed params; defaults fill what the form has not set yet.
        const parsed = definition.params.safeParse(node.params ?? {});
        try {
          const params = parsed.success ? parsed.data : (node.params ?? {});
          items[node.id] = {
            inputs: typed(mappedInputs(definition.inputsFor(params), node.map)),
            outputs: typed(mappedOutputs(definition.outputsFor(params), node.map) as PortMap),
          };
        } catch (err) {
          items[node.id] = { error: (err as Error).message };
        }
      }
      return { items };
    },
  );
}

/** Ports whose kind is not known yet (an input node without a kind) are left out rather than sent untyped. */
function typed(ports: PortMap): PortMap {
  return Object.fromEntries(Object.entries(ports).filter(([, spec]) => typeof spec?.kind === 'string'));
}
