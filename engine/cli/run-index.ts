/**
 * A local `tessera run` puts its run in the run index of its data folder (`tessera.db`), so the API of a
 * `tessera dev` on the same folder (the default ./.tessera) knows it: `GET /runs/:id`, the run list, its
 * events. The CLI writes only the "running" record; the API's tracker adopts running records it does not
 * follow yet (also ones written while it was down) and completes them from Temporal, as it does for its
 * own runs. An API on another data folder (a cluster) does not see local runs: `tessera run --server`
 * runs through that API instead.
 */
import { recordInputs } from '../api/runs/record-values.ts';
import type { RunPipelineInput } from '../run/plan.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/types.ts';
import type { CliContext } from './context.ts';

export interface LocalRun {
  runId: string;
  pipelineName: string;
  /** What the workflow got (large values as blob markers) and what the user gave. */
  prepared: RunPipelineInput;
  given: Record<string, unknown>;
}

/** Records the run; a failure is logged, never fatal (the run itself matters more than its index entry). */
export async function indexLocalRun(ctx: CliContext, run: LocalRun): Promise<void> {
  let store: Store | undefined;
  try {
    store = await openStore(ctx.settings);
    await store.insertRun({
      id: run.runId,
      pipelineId: '', // a file run has no saved pipeline
      pipelineVersion: 0,
      pipelineName: run.pipelineName,
      status: 'running',
      trigger: { type: 'cli' },
      inputs: await recordInputs(run.prepared.inputs, run.given),
      nodes: {},
      startedAt: new Date().toISOString(),
    });
  } catch (err) {
    ctx.log.warn({ err, runId: run.runId }, 'could not record the run in the run index');
  } finally {
    await store?.close();
  }
}
