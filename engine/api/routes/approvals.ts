/**
 * Approvals: POST /runs/:id/nodes/:nodeId/approve (optionally with an edited value and a comment) and
 * .../reject (optionally with a reason) decide an `approval` node that waits, through the run workflow's
 * `decideApproval` update (engine/api/runs/decide-approval.ts). The decision names who made it: the API
 * key's name when keys are required. The answer has the decision and the node's state just after it.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApprovalDecision } from '../../../workflows/contract.ts';
import { isActiveRun, type RunRecord } from '../../store/types.ts';
import type { ApiDeps } from '../deps.ts';
import { apiError } from '../errors.ts';
import { decideApproval } from '../runs/decide-approval.ts';
import { ErrorBody, NodeStateSchema } from '../runs/run-schemas.ts';
import { WorkflowProbe } from '../runs/workflow-probe.ts';

const Params = z.object({ id: z.string().min(1).max(200), nodeId: z.string().min(1).max(200) });

export const ApproveBody = z.strictObject({
  value: z.unknown().optional().describe('The value passed on instead of the one the node received (an edited value); it must be of the node\'s kind. Leave it out to pass the received value on.'),
  comment: z.string().max(2000).optional().describe('Recorded with the decision (the node\'s approval.reason).'),
});
export const RejectBody = z.strictObject({
  reason: z.string().max(2000).optional().describe('Why: recorded with the decision, and in the run\'s error when the rejection fails the run.'),
});

export const ApprovalResultSchema = z.object({
  runId: z.string(),
  nodeId: z.string(),
  decision: z.enum(['approved', 'rejected']),
  edited: z.boolean().describe('The reviewer replaced the value.'),
  node: NodeStateSchema.optional().describe('The node\'s state after the decision (absent when no worker answered the query).'),
});

const responses = { 200: ApprovalResultSchema, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody };

export function approvalRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.post(
    '/runs/:id/nodes/:nodeId/approve',
    {
      schema: {
        tags: ['runs'],
        summary: 'Approve an approval node that waits: the run goes on with the value it received, or with `value` (edited). 409 NODE_NOT_WAITING when the node does not wait (or the run finished); 400 APPROVAL_VALUE_INVALID when the value does not fit the node\'s kind.',
        params: Params,
        body: ApproveBody.nullish(),
        response: responses,
      },
    },
    async (request) => {
      const body = request.body ?? {};
      return decide(deps, request.params.id, request.params.nodeId, {
        approve: true,
        ...(body.value !== undefined ? { value: body.value } : {}),
        ...(body.comment ? { reason: body.comment } : {}),
        ...(request.apiKeyName ? { by: request.apiKeyName } : {}),
      });
    },
  );

  api.post(
    '/runs/:id/nodes/:nodeId/reject',
    {
      schema: {
        tags: ['runs'],
        summary: 'Reject an approval node that waits: the run fails with APPROVAL_REJECTED (or, with the node\'s onReject "skip", goes on without what depends on it). 409 NODE_NOT_WAITING when the node does not wait.',
        params: Params,
        body: RejectBody.nullish(),
        response: responses,
      },
    },
    async (request) => {
      const body = request.body ?? {};
      return decide(deps, request.params.id, request.params.nodeId, {
        approve: false,
        ...(body.reason ? { reason: body.reason } : {}),
        ...(request.apiKeyName ? { by: request.apiKeyName } : {}),
      });
    },
  );
}

async function decide(deps: ApiDeps, runId: string, nodeId: string, decision: Omit<ApprovalDecision, 'nodeId'>): Promise<z.infer<typeof ApprovalResultSchema>> {
  const run = await deps.store.getRun(runId);
  if (!run) throw apiError('RUN_NOT_FOUND', `No run "${runId}".`, { runId });
  if (!(await hasNode(deps, run, nodeId))) throw apiError('RUN_NODE_NOT_FOUND', `Run "${runId}" has no node "${nodeId}".`, { runId, nodeId });
  if (!isActiveRun(run.status)) {
    throw apiError('NODE_NOT_WAITING', `Run "${runId}" has finished (${run.status}): node "${nodeId}" can no longer be decided.`, { runId, nodeId, status: run.status });
  }
  const answer = await decideApproval(deps.client, runId, { nodeId, ...decision });
  // The node's state once the decision is in (the update's workflow task has run), recorded by the tracker
  // before answering, so the run read next shows it (and its status back to running).
  const states = await new WorkflowProbe(deps.client, runId, AbortSignal.timeout(10_000)).nodes();
  await deps.tracker?.refresh(runId);
  return { runId, nodeId, decision: answer.decision, edited: answer.edited, ...(states?.[nodeId] ? { node: states[nodeId] } : {}) };
}

/** The node is the run's: in its recorded states, else in its pipeline version (a run whose states are not recorded yet). */
async function hasNode(deps: ApiDeps, run: RunRecord, nodeId: string): Promise<boolean> {
  if (run.nodes?.[nodeId]) return true;
  if (!run.pipelineId) return Object.keys(run.nodes ?? {}).length === 0; // a file run by the CLI: nothing to check against yet
  const version = await deps.store.getVersion(run.pipelineId, run.pipelineVersion);
  return version ? version.document.nodes.some((n) => n.id === nodeId) : Object.keys(run.nodes ?? {}).length === 0;
}
