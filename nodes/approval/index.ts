/**
 * Pauses the run until a person approves (optionally with an edited value) or rejects, through a Temporal
 * update (POST /api/v1/runs/:id/nodes/:nodeId/approve or reject, `tessera approve`, the editor's form).
 * Waiting is a durable condition in the workflow: no worker is busy, and restarts lose nothing.
 */
import { z } from 'zod';
import { defineNode } from '../../engine/node-sdk/define-node.ts';
import { Duration } from '../common/params.ts';
import { flowKind, runsInWorkflow } from '../common/flow-kinds.ts';

export const approvalNode = defineNode({
  type: 'approval',
  version: 1,
  title: 'Approval',
  category: 'Flow',
  description: 'Waits for a person to approve the value (as is or edited) or reject it.',
  role: 'control',
  params: z.object({
    kind: flowKind,
    instructions: z.string().optional().describe('Shown to the reviewer.'),
    timeout: Duration.optional().describe('How long to wait for a decision; no limit when empty.'),
    onTimeout: z.enum(['approve', 'reject']).default('reject').describe('The decision taken when the timeout passes.'),
    onReject: z.enum(['fail', 'skip']).default('fail').describe('"fail": a rejection fails the run (APPROVAL_REJECTED). "skip": the run goes on and what depends on this node is skipped.'),
  }),
  inputs: (p: { kind: string }) => ({ value: { kind: p.kind as never } }),
  outputs: (p: { kind: string }) => ({ value: { kind: p.kind as never, description: 'The approved value, or the reviewer\'s edited one.' } }),
  run: runsInWorkflow('approval'),
});
