/**
 * runPipeline: a deterministic interpreter of a pipeline's DAG.
 *
 * Each task node becomes one activity, started as soon as every node it reads from has finished, so
 * independent branches run concurrently. Input and output nodes are resolved inline. Per-node state
 * is an immutable record replaced on every change and exposed through the `nodeStatus` query.
 * This file may import only types from engine/ and nodes/ (it runs in Temporal's workflow sandbox).
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type {
  NodeState,
  PlanNode,
  RunNodeRequest,
  RunNodeResult,
  RunPipelineInput,
  RunPipelineResult,
} from '../engine/run/plan.ts';
import { nodeOutputsQuery, nodeStatusQuery, type NodeActivities } from './contract.ts';
import { gatherInputs, readyNodes } from './dag.ts';
import { installBudget } from './budget.ts';

type Settled = { nodeId: string; result: RunNodeResult } | { nodeId: string; error: unknown };

export async function runPipeline({ plan, inputs }: RunPipelineInput): Promise<RunPipelineResult> {
  let states: Readonly<Record<string, Readonly<NodeState>>> = Object.fromEntries(
    plan.nodes.map((node) => [node.id, { status: 'pending' } as NodeState]),
  );
  const update = (nodeId: string, patch: Partial<NodeState>): void => {
    states = { ...states, [nodeId]: { ...states[nodeId], ...patch } };
  };
  setHandler(nodeStatusQuery, () => states);
  const budget = installBudget(plan.budget);

  const values = new Map<string, Readonly<Record<string, unknown>>>();
  const outputs: Record<string, unknown> = {};
  const started = new Set<string>();
  const running = new Map<string, { scope: CancellationScope; settled: Promise<Settled> }>();
  const outputNames = new Map(plan.nodes.filter((n) => n.role === 'output').map((n) => [n.id, (n.params as { name: string }).name]));
  setHandler(nodeOutputsQuery, (nodeIds) => {
    const produced: Record<string, Record<string, unknown>> = {};
    for (const nodeId of nodeIds) {
      const name = outputNames.get(nodeId);
      if (name !== undefined) {
        if (name in outputs) produced[nodeId] = { value: outputs[name] };
      } else if (values.has(nodeId)) produced[nodeId] = { ...values.get(nodeId) };
    }
    return produced;
  });
  const now = (): string => new Date().toISOString(); // workflow time: deterministic on replay

  const finishInline = (node: PlanNode): void => {
    const params = node.params as { name: string };
    if (node.role === 'input') {
      values.set(node.id, { value: inputs[params.name] }); // defaults were filled in when the run started
    } else {
      const gathered = gatherInputs(node, values);
      if (gathered.value !== undefined) outputs[params.name] = gathered.value;
      values.set(node.id, {});
    }
    update(node.id, { status: 'succeeded', startedAt: now(), endedAt: now() });
  };

  // A pinned node does not run: its values are the plan's (only plans with pins take this path).
  const finishPinned = (node: PlanNode): void => {
    values.set(node.id, node.pinned!);
    update(node.id, { status: 'succeeded', startedAt: now(), endedAt: now(), pinned: node.pinnedFrom ?? true });
  };

  const startTask = (node: PlanNode): void => {
    const retry = { ...node.activity.retry, initialInterval: node.activity.retry.initialInterval as Duration, maximumInterval: node.activity.retry.maximumInterval as Duration };
    // Cheap nodes run as local activities (only plans that say so: older plans replay unchanged).
    const activities = node.activity.local
      ? proxyLocalActivities<NodeActivities>({
          startToCloseTimeout: node.activity.startToCloseTimeout as Duration,
          retry,
          cancellationType: ActivityCancellationType.TRY_CANCEL,
        })
      : proxyActivities<NodeActivities>({
          taskQueue: node.activity.taskQueue,
          activityId: node.id,
          startToCloseTimeout: node.activity.startToCloseTimeout as Duration,
          heartbeatTimeout: node.activity.heartbeatTimeout as Duration | undefined,
          retry,
          cancellationType: ActivityCancellationType.TRY_CANCEL,
        });
    const scope = new CancellationScope();
    const request: RunNodeRequest = {
      nodeId: node.id,
      type: node.type,
      version: node.version,
      params: node.params,
      inputs: gatherInputs(node, values),
      // Only when the plan has one, so that activity inputs of older runs replay unchanged.
      ...(plan.origin ? { origin: plan.origin } : {}),
      ...(node.cache ? { cache: node.cache } : {}),
      ...(plan.budget ? { budget: true as const } : {}),
      ...(node.maxOutputTokens ? { maxOutputTokens: node.maxOutputTokens } : {}),
    };
    const settled = scope
      .run(() => activities.runNode(request))
      .then(
        (result): Settled => ({ nodeId: node.id, result }),
        (error: unknown): Settled => ({ nodeId: node.id, error }),
      );
    running.set(node.id, { scope, settled });
    update(node.id, { status: 'running', startedAt: now() });
  };

  const stopOthers = async (status: 'cancelled'): Promise<void> => {
    for (const { scope } of running.values()) scope.cancel();
    await Promise.all([...running.values()].map((r) => r.settled));
    for (const nodeId of running.keys()) update(nodeId, { status, endedAt: now() });
    running.clear();
    for (const node of plan.nodes) if (!started.has(node.id)) update(node.id, { status });
  };

  for (;;) {
    // Start everything that is ready; inline nodes finish at once and may make more nodes ready.
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const node of readyNodes(plan.nodes, started, values)) {
        started.add(node.id);
        if (node.pinned) {
          finishPinned(node);
          progressed = true;
        } else if (node.role === 'task') startTask(node);
        else {
          finishInline(node);
          progressed = true;
        }
      }
    }
    if (running.size === 0) break;

    const done = await Promise.race([...running.values()].map((r) => r.settled));
    running.delete(done.nodeId);

    if ('result' in done) {
      values.set(done.nodeId, done.result.outputs);
      update(done.nodeId, {
        status: 'succeeded',
        attempt: done.result.attempt,
        endedAt: now(),
        // A cache hit charged nothing: its usage is what the run that made the entry spent, not reported again.
        ...(done.result.cached ? { cached: true } : done.result.usage ? { usage: done.result.usage } : {}),
      });
      continue;
    }

    if (isCancellation(done.error) || CancellationScope.current().consideredCancelled) {
      update(done.nodeId, { status: 'cancelled', endedAt: now() });
      await CancellationScope.nonCancellable(() => stopOthers('cancelled'));
      throw done.error;
    }

    const failure = describeFailure(done.error);
    const error = { message: failure.message, code: failure.code, ...(failure.details !== undefined ? { details: failure.details } : {}) };
    update(done.nodeId, { status: 'failed', endedAt: now(), attempt: failure.attempt, error });
    await stopOthers('cancelled');
    const node = plan.nodes.find((n) => n.id === done.nodeId);
    throw ApplicationFailure.create({
      type: 'NODE_FAILED',
      message: `Node "${done.nodeId}" (${node?.type}) failed: ${failure.message}`,
      nonRetryable: true,
      details: [{ nodeId: done.nodeId, type: node?.type, code: failure.code, message: failure.message, ...(failure.details !== undefined ? { details: failure.details } : {}) }],
    });
  }

  const unfinished = plan.nodes.filter((n) => !started.has(n.id)).map((n) => n.id);
  if (unfinished.length) {
    // Unreachable for validated pipelines (validation rejects cycles); kept as a guard.
    throw ApplicationFailure.nonRetryable(`Nodes never became ready: ${unfinished.join(', ')}`, 'CYCLE');
  }
  return { outputs, nodes: states, ...(budget ? { budget: budget.summary() } : {}) };
}

/** Digs the node's own message, code and attempt out of Temporal's ActivityFailure wrapper. */
function describeFailure(error: unknown): { message: string; code?: string; attempt?: number; details?: unknown } {
  const cause = (error as { cause?: unknown })?.cause ?? error;
  const failure = cause as { message?: string; type?: string; details?: unknown[]; name?: string };
  const detail = (failure.details?.[0] ?? {}) as { attempt?: number; details?: unknown };
  const code = failure.type ?? (failure.name === 'TimeoutFailure' ? 'NODE_TIMED_OUT' : undefined);
  return { message: failure.message ?? String(error), code, attempt: detail.attempt, ...(detail.details !== undefined ? { details: detail.details } : {}) };
}
