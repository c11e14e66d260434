/** A run's own budget (CLI `--budget`, API `budgetUsd`) replaces the pipeline's in the plan. */
import type { RunPlan } from '../run/plan.ts';

export function withRunBudget(plan: RunPlan, budgetUsd: number | undefined): RunPlan {
  return budgetUsd === undefined ? plan : { ...plan, budget: { usd: budgetUsd } };
}
