/**
 * The run's budget ledger as an activity reaches it: Temporal updates to the run's workflow, through the
 * worker's own client (the activity context's). The workflow handles updates one at a time, which is what
 * makes a reservation atomic across parallel branches and workers.
 */
import type { Client } from '@temporalio/client';
import { reserveBudgetUpdate, settleBudgetUpdate } from '../../workflows/contract.ts';
import type { BudgetLedger } from './guarded-providers.ts';

export function workflowLedger(client: Client, workflowId: string, runId?: string): BudgetLedger {
  const handle = client.workflow.getHandle(workflowId, runId);
  return {
    reserve: (request) => handle.executeUpdate(reserveBudgetUpdate, { args: [request] }),
    settle: (request) => handle.executeUpdate(settleBudgetUpdate, { args: [request] }),
  };
}
