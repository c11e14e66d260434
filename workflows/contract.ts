/**
 * The contract between runPipeline and the code around it, in one module that both sides import, as in
 * Temporal's samples: the status query (the API, the CLI and tests query it by this definition, never by
 * a string) and the activity interface the worker implements (engine/worker/activities.ts declares it
 * satisfies this). The workflow's own signature is the third part: callers start it by its type.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { NodeState, RunChainRequest, RunChainResult, RunNodeRequest, RunNodeResult } from '../engine/run/plan.ts';
import type { BudgetReserveAnswer, BudgetReserveRequest, BudgetSettleRequest, BudgetSummary } from './budget-ledger.ts';

/** Every node's state, by node id: pending, running (with its attempt), succeeded, failed, cancelled. */
export const nodeStatusQuery = defineQuery<Record<string, NodeState>>('nodeStatus');

/**
 * The values the given nodes produced, by node id then port (large values are `$spilled` markers, as the
 * worker left them): an input node's `value`, a task node's outputs, an output node's `value`. Nodes that
 * have not produced anything yet are left out. The API records them when a node succeeds, so a run's
 * per-node outputs outlive its workflow history.
 */
export const nodeOutputsQuery = defineQuery<Record<string, Record<string, unknown>>, [string[]]>('nodeOutputs');

/**
 * Runs with a budget only (workflows/budget.ts): a node asks for an allowance before each provider call,
 * and settles it with the call's actual cost afterwards. Runs without a budget have no such handlers.
 */
export const reserveBudgetUpdate = defineUpdate<BudgetReserveAnswer, [BudgetReserveRequest]>('reserveBudget');
export const settleBudgetUpdate = defineUpdate<BudgetSummary, [BudgetSettleRequest]>('settleBudget');
/** The run's ledger (budget, spent, held, per node); null for runs without a budget. */
export const budgetQuery = defineQuery<BudgetSummary | null>('budget');

/** The activities the worker registers under these names: one node, or a chain of cheap nodes one after another. */
export interface NodeActivities {
  runNode(request: RunNodeRequest): Promise<RunNodeResult>;
  runChain(request: RunChainRequest): Promise<RunChainResult>;
}

/** A reviewer's decision on a waiting approval node: approve (optionally with an edited value) or reject. */
export interface ApprovalDecision {
  nodeId: string;
  approve: boolean;
  /** Approve only: the value passed on instead of the one the node received. */
  value?: unknown;
  reason?: string;
  /** Who decided (an API key's name, a CLI user); recorded in the node's state. */
  by?: string;
}
export interface ApprovalAnswer {
  nodeId: string;
  decision: 'approved' | 'rejected';
  edited: boolean;
}
/**
 * Decides a waiting approval node. Refused (by its validator, so nothing is written to history) when the
 * node is not an approval that waits, or the edited value does not fit the node's kind.
 */
export const decideApprovalUpdate = defineUpdate<ApprovalAnswer, [ApprovalDecision]>('decideApproval');
