/**
 * `tessera approve <runId> <nodeId>` and `tessera reject <runId> <nodeId>`: decide an approval node that
 * waits. With --server (or TESSERA_SERVER) through that Tessera's API (the decision is recorded under the
 * API key's name); otherwise straight to the run's workflow on the local Temporal server (the one `tessera
 * dev` or a `tessera run` in another shell runs, or TEMPORAL_ADDRESS's), as the user running the command.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { ApiClientError, TesseraClient, type ApprovalResult } from '../api/client/client.ts';
import { loadSettings, dataPaths } from '../config.ts';
import { TesseraError, type ErrorCode } from '../errors.ts';
import type { CommonOptions } from './context.ts';

export interface DecisionOptions extends Pick<CommonOptions, 'dataDir'> {
  server?: string;
  token?: string;
  json?: boolean;
  /** approve: the edited value as JSON, or a file holding it. */
  value?: string;
  valueFile?: string;
  comment?: string;
  /** reject: why. */
  reason?: string;
}

export async function approveCommand(runId: string, nodeId: string, options: DecisionOptions): Promise<number> {
  const value = await editedValue(options);
  return decide(runId, nodeId, { approve: true, ...(value.given ? { value: value.value } : {}), ...(options.comment ? { reason: options.comment } : {}) }, options);
}

export async function rejectCommand(runId: string, nodeId: string, options: DecisionOptions): Promise<number> {
  return decide(runId, nodeId, { approve: false, ...(options.reason ? { reason: options.reason } : {}) }, options);
}

/** --value (JSON text) or --value-file (a file of JSON); neither: the node's received value goes on. */
async function editedValue(options: DecisionOptions): Promise<{ given: boolean; value?: unknown }> {
  if (options.value !== undefined && options.valueFile !== undefined) throw new TesseraError('USAGE', 'Give --value or --value-file, not both.');
  let text: string;
  let from: string;
  if (options.value !== undefined) {
    text = options.value;
    from = '--value';
  } else if (options.valueFile !== undefined) {
    try {
      text = await readFile(options.valueFile, 'utf8');
    } catch (err) {
      throw new TesseraError('INPUT_FILE_NOT_FOUND', `Cannot read --value-file "${options.valueFile}": ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}.`);
    }
    from = `--value-file "${options.valueFile}"`;
  } else return { given: false };
  try {
    return { given: true, value: JSON.parse(text.replace(/^\uFEFF/, '')) };
  } catch (err) {
    throw new TesseraError('USAGE', `${from} must be JSON (a text value in quotes, e.g. --value '"corrected text"'): ${(err as Error).message}.`);
  }
}

interface Decision {
  approve: boolean;
  value?: unknown;
  reason?: string;
}

async function decide(runId: string, nodeId: string, decision: Decision, options: DecisionOptions): Promise<number> {
  const server = options.server ?? process.env.TESSERA_SERVER;
  const result = server ? await remoteDecision(server, options.token ?? process.env.TESSERA_TOKEN, runId, nodeId, decision) : await localDecision(runId, nodeId, decision, options);
  if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    const how = result.decision === 'approved' ? `approved${result.edited ? ' with an edited value' : ''}` : 'rejected';
    const state = result.node ? `; the node is now ${result.node.status}${result.node.error ? ` (${result.node.error.code}: ${result.node.error.message})` : ''}` : '';
    process.stdout.write(`node "${nodeId}" of run ${runId} ${how}${state}\n`);
  }
  return 0;
}

async function remoteDecision(server: string, token: string | undefined, runId: string, nodeId: string, decision: Decision): Promise<ApprovalResult> {
  if (!/^https?:\/\//i.test(server)) throw new TesseraError('USAGE', `--server "${server}" needs a scheme: http://${server.replace(/^\/+/, '')} (or https://...).`);
  const client = new TesseraClient({ server, token });
  try {
    return decision.approve ? await client.approveNode(runId, nodeId, decision.value, { comment: decision.reason }) : await client.rejectNode(runId, nodeId, decision.reason);
  } catch (err) {
    // The API's coded answer, as a local decision would report it.
    if (err instanceof ApiClientError) throw new TesseraError(err.code as ErrorCode, err.message, { details: err.details });
    throw err;
  }
}

async function localDecision(runId: string, nodeId: string, decision: Decision, options: DecisionOptions): Promise<ApprovalResult> {
  const settings = loadSettings({ dataDir: options.dataDir });
  const [{ connectTemporal }, { decideApproval }, { nodeStatusQuery }] = await Promise.all([
    import('../temporal/connect.ts'),
    import('../api/runs/decide-approval.ts'),
    import('../run/start.ts'),
  ]);
  // A waiting run lives on a server that is up (`tessera dev`, a `tessera run` in another shell, a cluster): none is started here.
  const temporal = await connectTemporal(settings.temporal, { dbFile: dataPaths(settings.dataDir).temporalDb, embedded: false, ui: false });
  try {
    const answer = await decideApproval(temporal.client, runId, { nodeId, ...decision, by: whoAmI() });
    const states = await temporal.client.workflow.getHandle(runId).query(nodeStatusQuery).catch(() => undefined);
    return { runId, nodeId, decision: answer.decision, edited: answer.edited, ...(states?.[nodeId] ? { node: states[nodeId] } : {}) };
  } finally {
    await temporal.close();
  }
}

function whoAmI(): string | undefined {
  try {
    return os.userInfo().username || undefined;
  } catch {
    return undefined;
  }
}
