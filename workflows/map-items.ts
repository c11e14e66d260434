/**
 * Running a mapped node's items: a pool of at most `concurrency` activities, one per item, each retried
 * and cached on its own. Used by the run's workflow for small maps and by runMapBatch (a child workflow
 * per batch) for large ones, so that no history grows past Temporal's limits.
 */
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { PlanMap, PlanNode, RunNodeRequest, RunNodeResult } from '../engine/run/plan.ts';
import type { Usage } from '../engine/providers/types.ts';
import { callNode, describeFailure } from './node-activity.ts';

export type ItemOutcome =
  | { ok: true; outputs: Record<string, unknown>; attempt: number; cached?: boolean; usage?: Usage[] }
  | { ok: false; code?: string; message: string; attempt?: number; details?: unknown };

/** Items at most this many run in the run's own workflow; more run in child workflows of this many each. */
export const INLINE_ITEMS = 200;
export const BATCH_ITEMS = 500;

/**
 * Runs items `offset`..`offset + items.length - 1`. `request`: the node's request with every input but
 * the mapped one. On the first failed item of a "fail" map, the items still running are cancelled and
 * the rest never start. `onSettled` hears each item as it finishes.
 */
export async function runItems(
  node: PlanNode,
  request: RunNodeRequest,
  items: readonly unknown[],
  offset: number,
  onSettled: (outcome: ItemOutcome) => void = () => {},
): Promise<ItemOutcome[]> {
  const map = node.map!;
  const outcomes: ItemOutcome[] = new Array(items.length);
  const scope = new CancellationScope();
  let next = 0;
  let stopped = false;
  const worker = async (): Promise<void> => {
    while (!stopped && next < items.length) {
      const index = next++;
      const item = offset + index;
      const itemRequest: RunNodeRequest = { ...request, inputs: { ...request.inputs, [map.port]: items[index] }, item };
      let outcome: ItemOutcome;
      try {
        const result: RunNodeResult = await scope.run(() => callNode(node, itemRequest, `${node.id}#${item}`));
        outcome = { ok: true, outputs: result.outputs, attempt: result.attempt, ...(result.cached ? { cached: true } : {}), ...(result.usage ? { usage: result.usage } : {}) };
      } catch (error) {
        if (stopped && isCancellation(error)) return;
        if (isCancellation(error)) throw error;
        outcome = { ok: false, ...describeFailure(error) };
      }
      outcomes[index] = outcome;
      onSettled(outcome);
      if (!outcome.ok && map.onItemError === 'fail') {
        stopped = true;
        // Regular activities still running are cancelled. Local ones (short by definition) are left to
        // finish: cancelling a local activity whose result is already on its way trips Temporal's state machine.
        if (!node.activity.local) scope.cancel();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(map.concurrency, items.length) }, worker));
  return outcomes;
}

/** The first failed item of a "fail" map, with its index. */
export function firstFailure(outcomes: readonly (ItemOutcome | undefined)[], offset = 0): { index: number; failure: Extract<ItemOutcome, { ok: false }> } | undefined {
  const at = outcomes.findIndex((o) => o && !o.ok);
  return at === -1 ? undefined : { index: offset + at, failure: outcomes[at] as Extract<ItemOutcome, { ok: false }> };
}

/**
 * The mapped node's result from its items' outcomes, in item order: every output a list (list outputs
 * concatenated), failed items left out and, for "continue" maps, listed in `itemErrors`.
 */
export function combineItems(map: PlanMap, outcomes: readonly ItemOutcome[]): RunNodeResult {
  const outputs: Record<string, unknown[]> = Object.fromEntries(map.outputs.map((port) => [port, []]));
  const errors: { index: number; code?: string; message: string }[] = [];
  const usage: Usage[] = [];
  let attempt = 1;
  let cached = outcomes.length > 0;
  outcomes.forEach((outcome, index) => {
    attempt = Math.max(attempt, outcome.attempt ?? 1);
    if (!outcome.ok) {
      errors.push({ index, ...(outcome.code ? { code: outcome.code } : {}), message: outcome.message });
      cached = false;
      return;
    }
    if (!outcome.cached) cached = false;
    usage.push(...(outcome.usage ?? []));
    for (const [port, value] of Object.entries(outcome.outputs)) {
      if (value === undefined) continue;
      const list = (outputs[port] ??= []);
      if (map.concat.includes(port) && Array.isArray(value)) list.push(...value);
      else list.push(value);
    }
  });
  return {
    outputs: map.onItemError === 'continue' ? { ...outputs, itemErrors: errors } : outputs,
    attempt,
    ...(cached ? { cached: true } : {}),
    ...(usage.length ? { usage } : {}),
  };
}
