/** The activity call that runs one node (or one item of a mapped node), with the node's own options. */
import { ActivityCancellationType, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Duration, RetryPolicy } from '@temporalio/common';
import type { PlanNode, RunNodeRequest, RunNodeResult } from '../engine/run/plan.ts';
import type { NodeActivities } from './contract.ts';

/** `activityId`: the node's id, or "node#item" for the items of a mapped node (local activities have none). */
/** The node's retry policy as Temporal takes it (the plan keeps its intervals as the file's duration strings). */
export function retryPolicy(node: PlanNode): RetryPolicy {
  const { retry } = node.activity;
  return { ...retry, initialInterval: retry.initialInterval as Duration, maximumInterval: retry.maximumInterval as Duration };
}

export function callNode(node: PlanNode, request: RunNodeRequest, activityId: string): Promise<RunNodeResult> {
  const retry = retryPolicy(node);
  // Cheap nodes run as local activities (only plans that say so: older plans replay unchanged).
  const activities = node.activity.local
    ? proxyLocalActivities<NodeActivities>({
        startToCloseTimeout: node.activity.startToCloseTimeout as Duration,
        retry,
        cancellationType: ActivityCancellationType.TRY_CANCEL,
      })
    : proxyActivities<NodeActivities>({
        taskQueue: node.activity.taskQueue,
        activityId,
        startToCloseTimeout: node.activity.startToCloseTimeout as Duration,
        heartbeatTimeout: node.activity.heartbeatTimeout as Duration | undefined,
        retry,
        cancellationType: ActivityCancellationType.TRY_CANCEL,
      });
  return activities.runNode(request);
}

/** Digs the node's own message, code and attempt out of Temporal's ActivityFailure (or child workflow) wrapper. */
export function describeFailure(error: unknown): { message: string; code?: string; attempt?: number; details?: unknown } {
  const cause = (error as { cause?: unknown })?.cause ?? error;
  const failure = cause as { message?: string; type?: string; details?: unknown[]; name?: string };
  const detail = (failure.details?.[0] ?? {}) as { attempt?: number; details?: unknown };
  const code = failure.type ?? (failure.name === 'TimeoutFailure' ? 'NODE_TIMED_OUT' : undefined);
  return { message: failure.message ?? String(error), code, attempt: detail.attempt, ...(detail.details !== undefined ? { details: detail.details } : {}) };
}
