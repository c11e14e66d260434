/**
 * The budget ledger of a run, inside runPipeline: the update handlers that grant and settle allowances
 * (workflows/budget-ledger.ts has the rules) and the `budget` query. Installed only when the plan has a
 * budget, so runs without one issue no update and record nothing more in their history.
 */
import { setHandler } from '@temporalio/workflow';
import { budgetQuery, reserveBudgetUpdate, settleBudgetUpdate } from './contract.ts';
import { openLedger, reserve, reserveProblem, settle, settleProblem, summary, type BudgetSummary, type LedgerState } from './budget-ledger.ts';

export interface RunBudget {
  summary(): BudgetSummary;
}

export function installBudget(budget: { usd: number } | undefined): RunBudget | undefined {
  if (!budget) {
    setHandler(budgetQuery, () => null); // a query adds nothing to the history
    return undefined;
  }
  let ledger: LedgerState = openLedger(budget.usd);
  setHandler(
    reserveBudgetUpdate,
    (request) => {
      const result = reserve(ledger, request);
      ledger = result.state;
      return result.answer;
    },
    { validator: (request) => throwIf(reserveProblem(request)) },
  );
  setHandler(
    settleBudgetUpdate,
    (request) => {
      ledger = settle(ledger, request);
      return summary(ledger);
    },
    { validator: (request) => throwIf(settleProblem(request)) },
  );
  setHandler(budgetQuery, () => summary(ledger));
  return { summary: () => summary(ledger) };
}

function throwIf(problem: string | undefined): void {
  if (problem) throw new Error(problem);
}
