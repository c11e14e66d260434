/**
 * Cheap nodes (templates, JSON picks, joins...: short, deterministic, no side effects) run as local
 * activities, and every activity's result costs the workflow an activation, a few milliseconds of the
 * worker's CPU. So a ready cheap node takes the cheap nodes that can follow it at once into the same local
 * activity (`runChain`): a chain of ten is one activation instead of ten (docs/benchmarks.md, issue 15).
 * Node states, values and events stay per node. The helpers here are pure (unit-tested); the call is below.
 */
import { ActivityCancellationType, proxyLocalActivities } from '@temporalio/workflow';
import type { PlanNode, RunChainRequest, RunChainResult, RunNodeRequest } from '../engine/run/plan.ts';
import type { NodeActivities } from './contract.ts';
import type { Settled } from './dag.ts';
import { durationMs } from './duration.ts';
import { retryPolicy } from './node-activity.ts';

/** Runs started by workflow code older than chains replay node by node (workflow versioning, `patched`). */
export const CHEAP_CHAINS_PATCH = 'cheap-chains';

/** At most this many nodes in one activity (a chain also stops when its outputs grow large, on the worker). */
export const MAX_CHAIN_NODES = 64;

/** A node that may run in a chain: a plain cheap task (flow nodes, maps and pins keep their own paths). */
export function chainable(node: PlanNode): boolean {
  return node.role === 'task' && node.activity.local === true && !node.control && !node.map && !node.pinned;
}

/**
 * `first` (a ready chainable node) and the chainable nodes that can run right after it, in the order they
 * run: each reads from at least one node of the chain, and otherwise only from nodes that finished with
 * values and are not flow nodes (whose missing outputs mean "skip", which only the workflow decides).
 * `excluded`: nodes that failed in an earlier chain, which run on their own.
 */
export function cheapChain(first: PlanNode, nodes: readonly PlanNode[], started: ReadonlySet<string>, s: Settled, excluded: ReadonlySet<string>): PlanNode[] {
  const chain = [first];
  const inChain = new Set([first.id]);
  const finished = (nodeId: string) => s.values.has(nodeId) && !s.control.has(nodeId);
  for (let grew = true; grew && chain.length < MAX_CHAIN_NODES; ) {
    grew = false;
    for (const node of nodes) {
      if (chain.length >= MAX_CHAIN_NODES) break;
      if (inChain.has(node.id) || started.has(node.id) || excluded.has(node.id) || !chainable(node)) continue;
      const sources = node.inputs.flatMap((input) => input.sources.map((source) => source.nodeId));
      if (!sources.some((id) => inChain.has(id)) || !sources.every((id) => inChain.has(id) || finished(id))) continue;
      chain.push(node);
      inChain.add(node.id);
      grew = true;
    }
  }
  return chain;
}

/**
 * What the worker needs to run the chain: each node's request (its inputs are gathered on the worker) and
 * the values it reads from outside the chain, only the ports it reads.
 */
export function chainRequest(chain: readonly PlanNode[], requestFor: (node: PlanNode) => RunNodeRequest, values: Settled['values']): RunChainRequest {
  const inChain = new Set(chain.map((node) => node.id));
  const outside: RunChainRequest['values'] = {};
  for (const node of chain) {
    for (const source of node.inputs.flatMap((input) => input.sources)) {
      if (inChain.has(source.nodeId)) continue;
      const value = values.get(source.nodeId)?.[source.port];
      if (value !== undefined) (outside[source.nodeId] ??= {})[source.port] = value;
    }
  }
  return { nodes: chain.map((node) => ({ request: { ...requestFor(node), inputs: {} }, inputs: node.inputs })), values: outside };
}

/** The chain as one local activity; its timeout is the sum of its nodes' own. */
export function callChain(chain: readonly PlanNode[], request: RunChainRequest): Promise<RunChainResult> {
  const timeoutMs = chain.reduce((sum, node) => sum + durationMs(node.activity.startToCloseTimeout), 0);
  const activities = proxyLocalActivities<NodeActivities>({
    startToCloseTimeout: timeoutMs,
    // Node failures come back in the result; this covers the activity itself (a worker lost mid-chain).
    retry: retryPolicy(chain[0]),
    cancellationType: ActivityCancellationType.TRY_CANCEL,
  });
  return activities.runChain(request);
}
