/**
 * runPipeline: a deterministic interpreter of a pipeline's DAG.
 *
 * Each task node becomes one activity, started as soon as every node it reads from has finished, so
 * independent branches run concurrently. Input, output and merge nodes are resolved inline; a mapped node
 * runs one activity per item (in child workflows when there are many); an approval waits for an update,
 * a delay on a durable timer, a sub-pipeline as a child workflow. Nodes on a branch's path not taken are
 * skipped. Per-node state is an immutable record replaced on every change and exposed through the
 * `nodeStatus` query. This file may import only types from engine/ and nodes/ (it runs in Temporal's
 * workflow sandbox).
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  executeChild,
  isCancellation,
  patched,
  setHandler,
  sleep,
  workflowInfo,
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
import { decideApprovalUpdate, nodeOutputsQuery, nodeStatusQuery, type ApprovalDecision } from './contract.ts';
import { firstArrived, gatherInputs, isSkipped, readyNodes } from './dag.ts';
import { installBudget } from './budget.ts';
import { callNode, describeFailure } from './node-activity.ts';
import { BATCH_ITEMS, combineItems, firstFailure, INLINE_ITEMS, runItems, type ItemOutcome } from './map-items.ts';
import { runMapBatch } from './map-batch.ts';
import { checkDecision } from './approval.ts';
import { durationMs } from './duration.ts';
import { callChain, chainable, chainRequest, CHEAP_CHAINS_PATCH, cheapChain } from './cheap-chain.ts';

/** What a running node ends with: its result (and any state to record with it), or an error. */
interface Outcome {
  result: RunNodeResult;
  patch?: Partial<NodeState>;
  /** A chain of cheap nodes: the results of the nodes that ran after this one in the same activity. */
  chained?: RunNodeResult[];
}
type Settled = ({ nodeId: string } & Outcome) | { nodeId: string; error: unknown };

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
  const skipped = new Set<string>();
  const control = new Set(plan.nodes.filter((n) => n.control).map((n) => n.id));
  const settledView = { values, skipped, control };
  /** Node ids in the order their values arrived (a merge takes the first). */
  const arrivals: string[] = [];
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
  const setValues = (nodeId: string, produced: Readonly<Record<string, unknown>>): void => {
    values.set(nodeId, produced);
    arrivals.push(nodeId);
  };

  // Approvals waiting for a decision, and the decisions received (the update's handler fills them in).
  const waitingApprovals = new Map<string, { kind: string }>();
  const decisions = new Map<string, ApprovalDecision>();
  if (plan.nodes.some((n) => n.control === 'approval')) {
    setHandler(
      decideApprovalUpdate,
      (decision) => {
        decisions.set(decision.nodeId, decision);
        waitingApprovals.delete(decision.nodeId);
        return { nodeId: decision.nodeId, decision: decision.approve ? 'approved' : 'rejected', edited: decision.value !== undefined };
      },
      { validator: (decision) => checkDecision(decision, waitingApprovals) },
    );
  }

  const finishInline = (node: PlanNode): void => {
    const params = node.params as { name: string };
    if (node.role === 'input') {
      setValues(node.id, { value: inputs[params.name] }); // defaults were filled in when the run started
    } else if (node.control === 'merge') {
      setValues(node.id, { value: firstArrived(node, settledView, arrivals) });
    } else {
      const gathered = gatherInputs(node, values);
      if (gathered.value !== undefined) outputs[params.name] = gathered.value;
      setValues(node.id, {});
    }
    update(node.id, { status: 'succeeded', startedAt: now(), endedAt: now() });
  };

  // A pinned node does not run: its values are the plan's (only plans with pins take this path).
  const finishPinned = (node: PlanNode): void => {
    setValues(node.id, node.pinned!);
    update(node.id, { status: 'succeeded', startedAt: now(), endedAt: now(), pinned: node.pinnedFrom ?? true });
  };

  const skip = (node: PlanNode): void => {
    skipped.add(node.id);
    update(node.id, { status: 'skipped' });
  };

  const requestFor = (node: PlanNode): RunNodeRequest => ({
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
  });

  /** Runs `work` in the node's own cancellation scope and records it as running. */
  const begin = (node: PlanNode, work: () => Promise<Outcome>, state: Partial<NodeState> = { status: 'running' }): void => {
    const scope = new CancellationScope();
    const settled = scope.run(work).then(
      (done): Settled => ({ nodeId: node.id, ...done }),
      (error: unknown): Settled => ({ nodeId: node.id, error }),
    );
    running.set(node.id, { scope, settled });
    update(node.id, { ...state, startedAt: now() });
  };

  /** Cheap nodes that failed in a chain: they run again on their own, with their retries. */
  const runAlone = new Set<string>();

  const startTask = (node: PlanNode): void => {
    const request = requestFor(node);
    const chain = chainable(node) && !runAlone.has(node.id) ? cheapChain(node, plan.nodes, started, settledView, runAlone) : [node];
    if (chain.length > 1 && patched(CHEAP_CHAINS_PATCH)) {
      const chained = chainRequest(chain, requestFor, values);
      begin(node, async () => {
        const { results, failed } = await callChain(chain, chained);
        if (failed) runAlone.add(failed);
        const [own, ...rest] = results;
        // The first node failed: it runs on its own; the others start when they are ready, as usual.
        return own ? { result: own, chained: rest } : { result: await callNode(node, request, node.id) };
      });
      return;
    }
    begin(node, async () => ({ result: await callNode(node, request, node.id) }));
  };

  /** A mapped node: its items in this workflow when they are few, else batch by batch in child workflows. */
  const startMapped = (node: PlanNode): void => {
    const map = node.map!;
    const request = requestFor(node);
    const given = request.inputs[map.port];
    const items = Array.isArray(given) ? given : given === undefined ? [] : [given]; // validation wires lists in
    const total = items.length;
    let done = 0;
    let failed = 0;
    let cached = 0;
    const counted = (outcome: ItemOutcome) => {
      done += 1;
      if (!outcome.ok) failed += 1;
      if (outcome.ok && outcome.cached) cached += 1;
      update(node.id, { items: { total, done, failed, ...(cached ? { cached } : {}) } });
    };
    begin(
      node,
      async () => {
        let outcomes: ItemOutcome[];
        if (total <= INLINE_ITEMS) outcomes = await runItems(node, request, items, 0, counted);
        else {
          // Batches one after another: each runs `concurrency` items at once, so the node's limit holds.
          outcomes = [];
          const { workflowId } = workflowInfo();
          const batchRequest = { ...request, inputs: { ...request.inputs, [map.port]: undefined }, ...(plan.budget ? { ledgerWorkflowId: workflowId } : {}) };
          for (let offset = 0; offset < total; offset += BATCH_ITEMS) {
            const batch = await executeChild(runMapBatch, {
              workflowId: `${workflowId}.${node.id}.${offset / BATCH_ITEMS + 1}`,
              args: [{ node: { ...node, child: undefined }, request: batchRequest, items: items.slice(offset, offset + BATCH_ITEMS), offset }],
            });
            outcomes.push(...batch);
            batch.forEach((outcome) => outcome && counted(outcome));
            if (map.onItemError === 'fail' && firstFailure(batch)) break;
          }
        }
        const failure = map.onItemError === 'fail' ? firstFailure(outcomes) : undefined;
        if (failure) {
          const { index, failure: f } = failure;
          throw ApplicationFailure.create({
            type: f.code ?? 'ITEM_FAILED',
            message: `Item ${index + 1} of ${total}: ${f.message}`,
            nonRetryable: true,
            details: [{ attempt: f.attempt, details: { item: index, ...(f.details !== undefined ? { error: f.details } : {}) } }],
          });
        }
        return { result: combineItems(map, outcomes) };
      },
      { status: 'running', items: { total, done: 0, failed: 0 } },
    );
  };

  /** An approval: waits (durably, no worker busy) for the decideApproval update, or its timeout. */
  const startApproval = (node: PlanNode): void => {
    const params = node.params as { kind: string; instructions?: string; timeout?: string; onTimeout: 'approve' | 'reject'; onReject: 'fail' | 'skip' };
    const value = gatherInputs(node, values).value;
    waitingApprovals.set(node.id, { kind: params.kind });
    const waitingUntil = params.timeout ? new Date(Date.now() + durationMs(params.timeout)).toISOString() : undefined;
    begin(
      node,
      async () => {
        // (condition without a timeout resolves to nothing: only the timed form answers whether it held.)
        const decided = params.timeout ? await condition(() => decisions.has(node.id), params.timeout as Duration) : (await condition(() => decisions.has(node.id)), true);
        waitingApprovals.delete(node.id);
        const decision: ApprovalDecision = decided ? decisions.get(node.id)! : { nodeId: node.id, approve: params.onTimeout === 'approve' };
        const approval = {
          ...(params.instructions ? { instructions: params.instructions } : {}),
          decision: decision.approve ? ('approved' as const) : ('rejected' as const),
          ...(decision.value !== undefined ? { edited: true } : {}),
          ...(decided ? {} : { timedOut: true }),
          ...(decision.by ? { by: decision.by } : {}),
          ...(decision.reason ? { reason: decision.reason } : {}),
        };
        if (decision.approve) return { result: { outputs: { value: decision.value ?? value }, attempt: 1 }, patch: { approval } };
        if (params.onReject === 'skip') return { result: { outputs: {}, attempt: 1 }, patch: { approval } };
        update(node.id, { approval });
        const why = decided ? `rejected${decision.by ? ` by ${decision.by}` : ''}${decision.reason ? `: ${decision.reason}` : ''}` : `not decided within ${params.timeout}`;
        throw ApplicationFailure.create({ type: decided ? 'APPROVAL_REJECTED' : 'APPROVAL_TIMED_OUT', message: `Approval ${why}.`, nonRetryable: true });
      },
      { status: 'waiting', approval: params.instructions ? { instructions: params.instructions } : {}, ...(waitingUntil ? { waitingUntil } : {}) },
    );
  };

  /** A delay: a durable timer, then the value it received. */
  const startDelay = (node: PlanNode): void => {
    const params = node.params as { duration?: string; until?: string };
    const value = gatherInputs(node, values).value;
    const ms = params.duration ? durationMs(params.duration) : Math.max(0, Date.parse(params.until!) - Date.now());
    begin(
      node,
      async () => {
        if (ms > 0) await sleep(ms);
        return { result: { outputs: { value }, attempt: 1 } };
      },
      { status: 'waiting', waitingUntil: new Date(Date.now() + ms).toISOString() },
    );
  };

  /** A sub-pipeline: the saved version's plan as a child run of this workflow type. */
  const startChild = (node: PlanNode): void => {
    const child = node.child!;
    const runId = `${workflowInfo().workflowId}.${node.id}`;
    const childInputs = { ...child.defaults, ...gatherInputs(node, values) };
    begin(
      node,
      async () => {
        const result = await executeChild(runPipeline, { workflowId: runId, args: [{ plan: child.plan, inputs: childInputs }] });
        return { result: { outputs: result.outputs, attempt: 1, ...(costOf(result) ? { usage: costOf(result) } : {}) } };
      },
      { status: 'running', child: { runId, pipelineId: child.pipelineId, version: child.version } },
    );
  };

  const start = (node: PlanNode): void => {
    if (node.map) startMapped(node);
    else if (node.control === 'approval') startApproval(node);
    else if (node.control === 'delay') startDelay(node);
    else if (node.control === 'pipeline') startChild(node);
    else startTask(node);
  };

  const stopOthers = async (status: 'cancelled'): Promise<void> => {
    for (const { scope } of running.values()) scope.cancel();
    await Promise.all([...running.values()].map((r) => r.settled));
    for (const nodeId of running.keys()) update(nodeId, { status, endedAt: now() });
    running.clear();
    for (const node of plan.nodes) if (!started.has(node.id)) update(node.id, { status });
  };

  const succeed = (nodeId: string, result: RunNodeResult, patch?: Partial<NodeState>): void => {
    setValues(nodeId, result.outputs);
    update(nodeId, {
      status: 'succeeded',
      attempt: result.attempt,
      endedAt: now(),
      // A cache hit charged nothing: its usage is what the run that made the entry spent, not reported again.
      ...(result.cached ? { cached: true } : result.usage ? { usage: result.usage } : {}),
      ...patch,
    });
  };

  for (;;) {
    // Start everything that is ready; inline nodes finish at once and may make more nodes ready.
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const node of readyNodes(plan.nodes, started, settledView)) {
        started.add(node.id);
        if (node.pinned) {
          finishPinned(node);
          progressed = true;
        } else if (skipped.size + control.size > 0 && isSkipped(node, settledView)) {
          skip(node);
          progressed = true;
        } else if (node.role === 'task' || (node.role === 'control' && node.control !== 'merge')) start(node);
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
      succeed(done.nodeId, done.result, done.patch);
      // The rest of a chain ran in the same activity, from when its first node started.
      for (const result of done.chained ?? []) {
        started.add(result.nodeId!);
        succeed(result.nodeId!, result, { startedAt: states[done.nodeId].startedAt });
      }
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

/** A child run's provider calls, reported on its `pipeline` node. */
function costOf(result: RunPipelineResult): RunNodeResult['usage'] {
  const usage = Object.values(result.nodes).flatMap((state) => state.usage ?? []);
  return usage.length ? usage : undefined;
}
