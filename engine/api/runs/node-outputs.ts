/**
 * What one node of a run produced: as the tracker recorded it when the node succeeded, else asked of the
 * run's workflow (a worker replays it) and recorded now. Undefined when neither can say.
 */
import type { ApiDeps } from '../deps.ts';
import { WorkflowProbe } from './workflow-probe.ts';

const ASK_TIMEOUT_MS = 10_000;

export async function nodeOutputs(deps: Pick<ApiDeps, 'store' | 'client'>, runId: string, nodeId: string): Promise<Record<string, unknown> | undefined> {
  const stored = await deps.store.getNodeOutputs(runId, nodeId);
  if (stored) return stored;
  const asked = (await new WorkflowProbe(deps.client, runId, AbortSignal.timeout(ASK_TIMEOUT_MS)).outputs([nodeId]))?.[nodeId];
  if (asked) await deps.store.saveNodeOutputs(runId, { [nodeId]: asked });
  return asked;
}
