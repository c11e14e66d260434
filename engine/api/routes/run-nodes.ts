/**
 * GET /runs/:id/nodes/:nodeId/outputs: what one node of a run produced, by port. The tracker records a
 * node's outputs when it succeeds; a node whose outputs were not recorded (no worker answered then) is
 * asked of the workflow itself. Large values are `$spilled` markers, media values blob references:
 * clients fetch both through the blobs endpoint.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../deps.ts';
import { apiError } from '../errors.ts';
import { ErrorBody } from '../runs/run-schemas.ts';
import { nodeOutputs } from '../runs/node-outputs.ts';

const Params = z.object({ id: z.string().min(1).max(200), nodeId: z.string().min(1).max(200) });

export const NodeOutputsSchema = z.object({
  runId: z.string(),
  nodeId: z.string(),
  outputs: z.record(z.string(), z.unknown()).describe('Values by output port. Values over 32 KB as JSON are { "$spilled": { sha256, mime, size } } (GET /api/v1/blobs/{sha256} has the JSON); media values are blob references { sha256, mime, size, name? }.'),
});

export function runNodesRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/runs/:id/nodes/:nodeId/outputs',
    {
      schema: {
        tags: ['runs'],
        summary: 'What one node of a run produced, by output port (input and output nodes: their `value`).',
        params: Params,
        response: { 200: NodeOutputsSchema, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const { id: runId, nodeId } = request.params;
      const run = await deps.store.getRun(runId);
      if (!run) throw apiError('RUN_NOT_FOUND', `No run "${runId}".`, { runId });
      const state = run.nodes[nodeId];
      if (!state) throw apiError('RUN_NODE_NOT_FOUND', `Run "${runId}" has no node "${nodeId}".`, { runId, nodeId });
      if (state.status !== 'succeeded') throw apiError('NODE_OUTPUTS_NOT_READY', `Node "${nodeId}" of run "${runId}" is ${state.status}; only a node that succeeded has outputs.`, { runId, nodeId, status: state.status });

      const outputs = await nodeOutputs(deps, runId, nodeId);
      if (!outputs) throw apiError('NODE_OUTPUTS_UNAVAILABLE', `The outputs of node "${nodeId}" of run "${runId}" were not recorded, and no worker answered for the run's workflow (or its history is gone).`, { runId, nodeId });
      return { runId, nodeId, outputs };
    },
  );
}
