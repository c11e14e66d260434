/**
 * `tessera run --server URL`: runs a pipeline on a remote Tessera through its API. A file runs as the
 * pipeline saved under its name (a new version only when its content changed, a new pipeline when no
 * pipeline has that name); anything else is taken as the id of a saved pipeline. `name=@path` inputs are
 * uploaded, progress comes from the run's event stream, outputs are printed (and blob outputs
 * downloaded) exactly as a local run prints them.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ApiClientError, TesseraClient, type StartRunOptions } from '../api/client/client.ts';
import type { CodedError, ErrorCode } from '../errors.ts';
import { TesseraError } from '../errors.ts';
import type { Pipeline } from '../pipeline/schema.ts';
import type { PortKind } from '../ports.ts';
import type { InputSpec } from '../run/inputs.ts';
import type { NodeState } from '../run/plan.ts';
import type { RunEvent, RunRecord } from '../store/types.ts';
import { parseInputFlags } from './inputs.ts';
import { formatOutputs, writeBlobOutputs } from './outputs.ts';
import { createProgressView, type ProgressView } from './progress.ts';
import { printErrors } from './report.ts';
import { RemoteBlobStore } from './remote-blobs.ts';
import { savedPipelineFor } from './remote-pipeline.ts';

export interface RemoteRunOptions {
  /** The API's origin, e.g. http://127.0.0.1:8080. */
  server: string;
  token?: string;
  input?: string[];
  json?: boolean;
  outDir?: string;
  version?: number;
  /** The run's use of the output cache (the API checks the value). */
  cache?: string;
  /** The run's cost budget in USD (instead of the pipeline's). */
  budgetUsd?: number;
  fromRun?: string;
  from?: string;
  to?: string;
  /** Where results go (default process.stdout); progress and errors go to stderr. */
  stdout?: NodeJS.WritableStream;
}

export async function remoteRun(target: string, options: RemoteRunOptions): Promise<number> {
  // "127.0.0.1:8080" would otherwise fail as an invalid URL, or parse with "127.0.0.1:" as its scheme.
  if (!/^https?:\/\//i.test(options.server)) {
    throw new TesseraError('USAGE', `--server "${options.server}" needs a scheme: http://${options.server.replace(/^\/+/, '')} (or https://...).`);
  }
  const client = new TesseraClient({ server: options.server, token: options.token });
  const blobs = new RemoteBlobStore(client);
  const stdout = options.stdout ?? process.stdout;
  let runId: string | undefined;
  const fail = (error: CodedError, errors: CodedError[] = [error]): number => {
    if (options.json) stdout.write(JSON.stringify({ runId: runId ?? null, status: 'failed', error: errors[0], errors }) + '\n');
    else printErrors(errors);
    return 1;
  };
  let view: ProgressView | undefined;
  try {
    const { pipelineId, version, document } = await resolvePipeline(client, target, options.version);
    const given = await parseInputFlags(options.input ?? [], documentInputs(document), blobs);
    const started = await client.startRun(pipelineId, { inputs: given, version, cache: options.cache as StartRunOptions['cache'], budgetUsd: options.budgetUsd, fromRun: options.fromRun, from: options.from, to: options.to });
    runId = started.id;
    const taskNodes = document.nodes.filter((n) => n.type !== 'input' && n.type !== 'output').map((n) => n.id); // flow nodes too
    view = options.json ? undefined : createProgressView(taskNodes);
    const run = started.done ? started.run : await follow(client, started.id, view);
    view?.stop();
    view = undefined;
    if (run.status !== 'succeeded') return fail(run.error ?? { code: 'NODE_FAILED', message: `The run ended ${run.status}.` });
    const outDir = path.resolve(options.outDir ?? path.join('tessera-output', run.id));
    // Large values come as references: downloaded, so the user gets the whole value as from a local run.
    const outputs = await writeBlobOutputs(await client.resolveValues(run.outputs ?? {}), blobs, outDir);
    if (options.json) stdout.write(JSON.stringify({ runId: run.id, status: run.status, outputs, usage: run.usage }) + '\n');
    else stdout.write(`${formatOutputs(outputs)}\n`);
    return 0;
  } catch (err) {
    view?.stop();
    if (err instanceof ApiClientError) {
      // A validation answer carries every coded error (with node ids) in details.errors, as a local run prints them.
      const errors = (err.details as { errors?: CodedError[] } | undefined)?.errors;
      return fail({ code: err.code as ErrorCode, message: err.message, details: err.details }, Array.isArray(errors) && errors.length ? errors : undefined);
    }
    if (err instanceof TesseraError) return fail(err.toJSON());
    throw err;
  }
}

/** A pipeline file runs as the pipeline saved under its name (remote-pipeline.ts); otherwise the target is a pipeline id. */
async function resolvePipeline(client: TesseraClient, target: string, version?: number): Promise<{ pipelineId: string; version?: number; document: Pipeline }> {
  if (await isFile(target)) {
    let document: Pipeline;
    try {
      document = JSON.parse(await readFile(target, 'utf8')) as Pipeline;
    } catch (err) {
      throw new TesseraError('FILE_NOT_JSON', `${target} is not valid JSON: ${(err as Error).message}`);
    }
    const chosen = await savedPipelineFor(client, document);
    const where = `pipeline ${chosen.pipelineId} version ${chosen.version} ("${document.name}")`;
    const said = { reused: `using saved ${where}: unchanged`, 'new-version': `saved ${where}: the file changed`, 'new-pipeline': `saved new ${where}` }[chosen.saved];
    process.stderr.write(`${said}\n`);
    return chosen;
  }
  const record = await client.getVersion(target, version);
  return { pipelineId: target, version: record.version, document: record.document };
}

/** The pipeline's inputs as the flag parser needs them (name and kind of each input node). */
export function documentInputs(document: Pipeline): InputSpec[] {
  return document.nodes
    .filter((n) => n.type === 'input')
    .map((n) => {
      const p = n.params as { name: string; kind: PortKind; default?: unknown };
      return { nodeId: n.id, name: p.name, kind: p.kind, required: p.default === undefined, default: p.default };
    });
}

/** Follows the run's events into the progress view; returns the finished run. */
async function follow(client: TesseraClient, runId: string, view: ProgressView | undefined): Promise<RunRecord> {
  const states: Record<string, NodeState> = {};
  for await (const event of client.followEvents(runId)) {
    if (!view) continue;
    if (event.type === 'node.progress') view.fraction(String(event.data.nodeId), Number(event.data.fraction), event.data.message as string | undefined);
    if (event.type === 'node.waiting' && event.data.approval) {
      const nodeId = String(event.data.nodeId);
      view.log(`node ${nodeId} waits for approval: tessera approve ${runId} ${nodeId} --server <url> [--value <json>], or tessera reject ${runId} ${nodeId} --server <url>`);
    }
    const state = nodeState(event);
    if (state) {
      states[String(event.data.nodeId)] = state;
      view.update(states);
    }
  }
  return client.getRun(runId);
}

function nodeState(event: RunEvent): NodeState | undefined {
  const data = event.data as { status?: string; attempt?: number; error?: NodeState['error']; cached?: boolean };
  switch (event.type) {
    case 'node.started':
      return { status: 'running' };
    case 'node.retrying':
      return { status: 'running', attempt: data.attempt };
    case 'node.waiting':
      return { status: 'waiting', ...(event.data.approval ? { approval: event.data.approval as NodeState['approval'] } : {}), ...(event.data.waitingUntil ? { waitingUntil: String(event.data.waitingUntil) } : {}) };
    case 'node.skipped':
      return { status: 'skipped' };
    case 'node.succeeded':
    case 'node.failed':
    case 'node.cancelled':
      return { status: event.type.slice('node.'.length) as NodeState['status'], attempt: data.attempt, error: data.error, ...(data.cached ? { cached: true } : {}) };
    default:
      return undefined;
  }
}

async function isFile(target: string): Promise<boolean> {
  return (await stat(target).catch(() => undefined))?.isFile() ?? false;
}
