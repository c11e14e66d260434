/** runMapBatch: a child workflow running one batch of a large map's items (workflows/map-items.ts). */
import type { PlanNode, RunNodeRequest } from '../engine/run/plan.ts';
import { runItems, type ItemOutcome } from './map-items.ts';

export interface MapBatchInput {
  node: PlanNode;
  /** The node's request with every input but the mapped one. */
  request: RunNodeRequest;
  items: unknown[];
  /** The index of the first item in the whole map. */
  offset: number;
}

export async function runMapBatch({ node, request, items, offset }: MapBatchInput): Promise<ItemOutcome[]> {
  return runItems(node, request, items, offset);
}
