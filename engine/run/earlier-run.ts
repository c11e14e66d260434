/**
 * An earlier run as its Temporal history tells it, for "run from here" without the API's run index (the
 * CLI): the plan and inputs it started with, and each task node's outputs from its completed activity.
 * Read from history alone, so it works after the run's workers are gone (a CLI run's own task queue has
 * none), as long as Temporal keeps the history.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { TesseraError } from '../errors.ts';
import type { NodeState, RunChainResult, RunNodeResult, RunPipelineInput } from './plan.ts';
import type { EarlierRun } from './reuse-run.ts';

export async function earlierRunFromHistory(client: Client, runId: string): Promise<{ earlier: EarlierRun; inputs: Record<string, unknown> }> {
  let events;
  try {
    events = (await client.workflow.getHandle(runId).fetchHistory()).events ?? [];
  } catch (err) {
    // fetchHistory reports an unknown workflow as a gRPC NOT_FOUND (code 5) rather than WorkflowNotFoundError.
    if (err instanceof WorkflowNotFoundError || (err as { code?: number }).code === 5 || /NOT_FOUND/.test(String((err as Error)?.message))) throw new TesseraError('RUN_NOT_FOUND', `Temporal has no run "${runId}" (its history may have expired).`, { details: { runId } });
    throw err;
  }
  const startPayload = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!startPayload) throw new TesseraError('RUN_NOT_FOUND', `Run "${runId}" is not a Tessera run.`, { details: { runId } });
  const started = defaultPayloadConverter.fromPayload<RunPipelineInput>(startPayload);

  const scheduled = new Map<string, string>(); // scheduled event id -> node id (the activity id)
  const outputs = new Map<string, Record<string, unknown>>();
  for (const event of events) {
    const schedule = event.activityTaskScheduledEventAttributes;
    if (schedule?.activityId) scheduled.set(String(event.eventId), schedule.activityId);
    // A local activity's result is in a marker, named by the nodeId the result carries; a chain of cheap
    // nodes' marker holds one result per node that ran (RunChainResult).
    for (const detail of Object.values(event.markerRecordedEventAttributes?.details ?? {})) {
      for (const payload of detail?.payloads ?? []) {
        const value = safeDecode(payload) as (Partial<RunNodeResult> & Partial<RunChainResult>) | undefined;
        for (const result of Array.isArray(value?.results) ? value.results : [value]) {
          if (result && typeof result.nodeId === 'string' && result.outputs && typeof result.outputs === 'object') outputs.set(result.nodeId, result.outputs);
        }
      }
    }
    const completed = event.activityTaskCompletedEventAttributes;
    const payload = completed?.result?.payloads?.[0];
    if (completed && payload) {
      const nodeId = scheduled.get(String(completed.scheduledEventId));
      if (nodeId) outputs.set(nodeId, defaultPayloadConverter.fromPayload<RunNodeResult>(payload).outputs);
    }
  }
  const states: Record<string, NodeState> = {};
  for (const node of started.plan.nodes) states[node.id] = outputs.has(node.id) || node.pinned ? { status: 'succeeded' } : { status: 'pending' };
  return {
    earlier: {
      id: runId,
      nodes: new Map(started.plan.nodes.map((n) => [n.id, { type: n.type, version: n.version, params: n.params }])),
      states,
      outputs: async (nodeId) => outputs.get(nodeId) ?? started.plan.nodes.find((n) => n.id === nodeId)?.pinned,
    },
    inputs: started.inputs,
  };
}

function safeDecode(payload: Parameters<typeof defaultPayloadConverter.fromPayload>[0]): unknown {
  try {
    return defaultPayloadConverter.fromPayload(payload);
  } catch {
    return undefined;
  }
}
