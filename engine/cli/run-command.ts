/**
 * `tessera run`: validate, resolve inputs, connect to (or start) Temporal, run an in-process worker,
 * start the workflow, draw progress until it ends, then print or write the outputs.
 *
 * The run goes to a task queue of this process's own (`<queue>-cli-<random>`) unless --shared-queue:
 * the nodes then run here, with this shell's provider keys and --plugin modules, and never on a
 * `tessera dev` or `tessera worker` that happens to poll the shared queue with another environment.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import type { CodedError } from '../errors.ts';
import { pipelineInputs, resolveRunInputs } from '../run/inputs.ts';
import { nodeStatusQuery, startRun, type RunHandle } from '../run/start.ts';
import type { NodeState, RunPipelineInput, RunPipelineResult } from '../run/plan.ts';
import { compilePlan, scopePipeline, usageTotals } from '../run/plan.ts';
import { validatePipeline } from '../pipeline/validate.ts';
import { checkPartial, pinUpstream } from '../run/reuse-run.ts';
import { earlierRunFromHistory } from '../run/earlier-run.ts';
import { connectTemporal, type TemporalHandle } from '../temporal/connect.ts';
import { restoreSpilled } from '../worker/spill.ts';
import { terminateLocalOcr } from '../media/ocr-local.ts';
import { cliContext, cliWorker, type CliContext, type CommonOptions } from './context.ts';
import { loadRunnableFile } from './pipeline-file.ts';
import { parseInputFlags } from './inputs.ts';
import { formatOutputs, writeBlobOutputs } from './outputs.ts';
import { createProgressView, type ProgressView } from './progress.ts';
import { formatError, printErrors } from './report.ts';
import { cancelRun, INTERRUPTED_EXIT_CODE, watchInterrupt } from './interrupt.ts';
import { indexLocalRun } from './run-index.ts';
import { pendingRetries } from './retries.ts';
import { usageLine } from './usage-line.ts';
import { formatUsd } from '../budget/estimate-call.ts';
import { stopWorker } from './stop-worker.ts';
import { runError } from '../run/run-error.ts';
import { checkBlobStore } from '../blob/open-blob-store.ts';
import { CACHE_MODES, type CacheMode } from '../cache/cache-policy.ts';
import { TesseraError } from '../errors.ts';

export interface RunOptions extends CommonOptions {
  input?: string[];
  json?: boolean;
  outDir?: string;
  /** Run on the shared task queue, where `tessera dev` / `tessera worker` processes may take the nodes. */
  sharedQueue?: boolean;
  /** The run's use of the output cache (auto when unset). */
  cache?: string;
  /** The run's cost budget in USD (--budget; instead of the pipeline's). */
  budgetUsd?: number;
  /** Run from `from`, reusing the outputs upstream of it from run `fromRun`; or only to `to`. */
  fromRun?: string;
  from?: string;
  to?: string;
}

function cacheMode(value: string | undefined): CacheMode | undefined {
  if (value === undefined) return undefined;
  if ((CACHE_MODES as readonly string[]).includes(value)) return value as CacheMode;
  throw new TesseraError('USAGE', `--cache must be one of ${CACHE_MODES.join(', ')} (got "${value}").`);
}

export async function runCommand(file: string, options: RunOptions): Promise<number> {
  const cache = cacheMode(options.cache); // a bad flag is reported before anything is read
  const ctx = await cliContext(options);
  const fail = (errors: CodedError[], runId?: string): number => {
    if (options.json) process.stdout.write(JSON.stringify({ runId: runId ?? null, status: 'failed', error: errors[0], errors }) + '\n');
    else printErrors(errors);
    return 1;
  };

  // `pipeline` nodes run pipelines saved in the data folder's store (pipeline-file.ts).
  const { result: loaded, options: validateOptions } = await loadRunnableFile(file, ctx.registry, ctx.settings);
  if (!loaded.ok) return fail(loaded.errors);
  // An S3 bucket (TESSERA_BLOB_URL) that cannot be used stops the run before anything is stored or started.
  await checkBlobStore(ctx.blobs);
  // A partial run: from a node (reusing an earlier run's upstream outputs, read from its Temporal history), or to one.
  const partial = { fromRun: options.fromRun, from: options.from, to: options.to };
  let valid = loaded.value;
  let earlierInputs: Record<string, unknown> = {};
  let early: TemporalHandle | undefined;
  try {
    checkPartial(valid, partial);
    if (partial.fromRun && partial.from) {
      early = await connectTemporal(ctx.settings.temporal, { dbFile: ctx.paths.temporalDb, ui: false });
      const { earlier, inputs } = await earlierRunFromHistory(early.client, partial.fromRun);
      const revalidated = validatePipeline(await pinUpstream(valid.pipeline, valid, earlier, partial.from), ctx.registry, validateOptions);
      if (!revalidated.ok) return fail(revalidated.errors);
      valid = revalidated.value;
      earlierInputs = await restoreSpilled(inputs, ctx.blobs);
    }
  } catch (err) {
    await early?.close();
    if (err instanceof TesseraError) return fail([{ code: err.code, message: err.message, ...(err.nodeId ? { nodeId: err.nodeId } : {}) }]);
    throw err;
  }
  const scoped = scopePipeline(valid, partial.to);
  const wanted = pipelineInputs(scoped);
  const given = await parseInputFlags(options.input ?? [], wanted, ctx.blobs);
  const names = new Set(wanted.map((i) => i.name));
  const resolved = resolveRunInputs(scoped, { ...Object.fromEntries(Object.entries(earlierInputs).filter(([name]) => names.has(name))), ...given });
  if (!resolved.ok) {
    await early?.close();
    return fail(resolved.errors);
  }

  // On a terminal, say what the first seconds are spent on (the lines stay out of logs and --json).
  const status = (line: string) => {
    if (process.stderr.isTTY && !options.json) process.stderr.write(`${line}\n`);
  };
  status(`connecting to Temporal${ctx.settings.temporal.address ? ` at ${ctx.settings.temporal.address}` : ` on 127.0.0.1:${ctx.settings.temporal.port} (or starting one)`} ...`);
  const providers = await ctx.loadProviders();
  const temporal = early ?? (await connectTemporal(ctx.settings.temporal, { dbFile: ctx.paths.temporalDb, ui: false }));
  let view: ProgressView | undefined;
  const workers: Worker[] = [];
  try {
    status('starting a worker in this process ...');
    const taskQueue = options.sharedQueue ? ctx.settings.taskQueue : `${ctx.settings.taskQueue}-cli-${randomBytes(4).toString('hex')}`;
    // Serve every task queue the plan uses, so nodes in other pools also run locally.
    const plan = compilePlan(valid, taskQueue, 'cli', cache, { to: partial.to });
    const queues = new Set(plan.nodes.map((n) => n.activity.taskQueue));
    // Task nodes and flow nodes (approvals, delays, sub-pipelines) are shown; input and output nodes are not.
    const taskNodes = plan.nodes.filter((n) => n.role === 'task' || n.role === 'control').map((n) => n.id);
    view = options.json ? undefined : createProgressView(taskNodes);
    const progressView = view;
    for (const queue of [taskQueue, ...[...queues].filter((q) => q !== taskQueue)]) {
      workers.push(
        await cliWorker(ctx, temporal, {
          taskQueue: queue,
          providers,
          activitiesOnly: queue !== taskQueue,
          onProgress: (e) => progressView?.fraction(e.nodeId, e.fraction, e.message),
        }),
      );
    }
    const running = workers.map((w) => w.run());

    let prepared: RunPipelineInput | undefined;
    const handle = await startRun(temporal.client, valid, resolved.inputs, { taskQueue, origin: 'cli', blobs: ctx.blobs, cache, budgetUsd: options.budgetUsd, to: partial.to, onPrepared: (args) => (prepared = args) });
    const runId = handle.workflowId;
    await indexLocalRun(ctx, { runId, pipelineName: loaded.value.pipeline.name, prepared: prepared!, given: resolved.inputs });
    const started = startLine(runId, taskQueue, options.sharedQueue === true, temporal);
    if (view) view.log(started);
    else process.stderr.write(`${started}\n`);
    const interrupt = watchInterrupt(() => process.stderr.write(`\nerror RUN_CANCELLED: Interrupted again: run ${runId} may still be open.\n`));
    const stopWatching = view ? watchStatus(handle, view, runId) : () => Promise.resolve();
    try {
      const ended = await Promise.race([
        handle.result().then((result) => ({ result })),
        interrupt.first.then(() => ({ interrupted: true as const })),
      ]);
      if ('interrupted' in ended) {
        const how = await cancelRun(handle);
        await stopWatching();
        view?.update(await finalStates(handle));
        view?.stop();
        view = undefined;
        return printInterrupted(runId, how, options);
      }
      const { result } = ended;
      await stopWatching();
      view?.update(result.nodes);
      view?.stop();
      view = undefined;
      return await printSuccess(handle.workflowId, result, ctx, options);
    } catch (err) {
      await stopWatching();
      if (view) view.update(await finalStates(handle));
      view?.stop();
      view = undefined;
      return fail([runError(err)], handle.workflowId);
    } finally {
      interrupt.dispose();
      await Promise.all(workers.map((worker, i) => stopWorker(worker, running[i])));
    }
  } finally {
    view?.stop();
    await temporal.close();
    await terminateLocalOcr();
    ctx.vectors?.close();
    await ctx.cache.close();
  }
}

/** The first line of a run: its id (for the API, `temporal workflow`, the UI) and where its nodes run. */
function startLine(runId: string, taskQueue: string, shared: boolean, temporal: TemporalHandle): string {
  const where = shared ? `on the shared task queue "${taskQueue}" (any worker polling it may run nodes)` : 'nodes run in this process';
  const ui = temporal.uiUrl ? `\nTemporal UI: ${temporal.uiUrl}/namespaces/${encodeURIComponent(temporal.namespace)}/workflows/${encodeURIComponent(runId)}` : '';
  return `run ${runId} started; ${where}${ui}`;
}

function printInterrupted(runId: string, how: 'cancelled' | 'terminated', options: RunOptions): number {
  const error: CodedError = {
    code: 'RUN_CANCELLED',
    message: how === 'cancelled' ? `Run ${runId} was cancelled (Ctrl-C).` : `Run ${runId} was terminated: it did not stop in time after Ctrl-C.`,
  };
  if (options.json) process.stdout.write(JSON.stringify({ runId, status: 'cancelled', error, errors: [error] }) + '\n');
  else process.stderr.write(`error ${formatError(error)}\n`);
  return INTERRUPTED_EXIT_CODE;
}

async function printSuccess(runId: string, result: RunPipelineResult, ctx: CliContext, options: RunOptions): Promise<number> {
  const outDir = path.resolve(options.outDir ?? path.join('tessera-output', runId));
  const outputs = await writeBlobOutputs(await restoreSpilled(result.outputs, ctx.blobs), ctx.blobs, outDir);
  const usage = usageTotals(result.nodes);
  // Nodes whose outputs came from the output cache: they did not run and cost nothing this time.
  const cached = Object.entries(result.nodes).filter(([, state]) => state.cached).map(([nodeId]) => nodeId);
  if (options.json) process.stdout.write(JSON.stringify({ runId, status: 'succeeded', outputs, usage, cached, ...(result.budget ? { budget: result.budget } : {}) }) + '\n');
  else {
    process.stdout.write(`${formatOutputs(outputs)}\n`);
    const line = usageLine(result.nodes);
    if (line) process.stderr.write(`usage: ${line}\n`);
    if (result.budget) process.stderr.write(`budget: ${formatUsd(result.budget.spentUsd)} of ${formatUsd(result.budget.budgetUsd)} spent\n`);
    if (cached.length) process.stderr.write(`cached (not run, nothing charged): ${cached.join(', ')}\n`);
  }
  return 0;
}

/**
 * Polls the workflow's node-status query (and, once a second, its retries) and feeds the view until stopped;
 * says how to decide each approval node that starts waiting.
 */
function watchStatus(handle: RunHandle, view: ProgressView, runId: string): () => Promise<void> {
  let stopped = false;
  const told = new Set<string>();
  const loop = (async () => {
    for (let tick = 0; !stopped; tick++) {
      try {
        const states = await handle.query(nodeStatusQuery);
        view.update(states);
        for (const [nodeId, state] of Object.entries(states)) {
          if (state.status !== 'waiting' || !state.approval || told.has(nodeId)) continue;
          told.add(nodeId);
          view.log(`node ${nodeId} waits for approval${state.approval.instructions ? ` (${state.approval.instructions})` : ''}: tessera approve ${runId} ${nodeId} [--value <json>], or tessera reject ${runId} ${nodeId} [--reason <text>]`);
        }
        if (tick % 4 === 0) view.retries(await pendingRetries(handle));
      } catch {
        // The first workflow task may not have run yet; try again on the next tick.
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

async function finalStates(handle: RunHandle): Promise<Record<string, NodeState>> {
  try {
    return await handle.query(nodeStatusQuery);
  } catch {
    return {};
  }
}


