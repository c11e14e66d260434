/**
 * `tessera run <file> --estimate`: what the run may cost, without running it (engine/budget/run-estimate.ts):
 * a range in US dollars at the price table's list prices, per node and call, the budget it would run
 * under, and what was assumed. Inputs given with -i are measured (text lengths, audio durations with
 * ffprobe); inputs left out are assumed. With --server and a saved pipeline id, the API estimates it
 * (`POST /pipelines/:id/estimate`); a file is estimated here, with this machine's providers.
 */
import { stat } from 'node:fs/promises';
import { TesseraClient } from '../api/client/client.ts';
import { blobAudioSeconds } from '../budget/measure-audio.ts';
import { describeAmounts, formatUsd } from '../budget/estimate-call.ts';
import { estimateRun, type RunEstimate } from '../budget/run-estimate.ts';
import { withRunBudget } from '../budget/run-budget.ts';
import { CACHE_MODES, type CacheMode } from '../cache/cache-policy.ts';
import { TesseraError } from '../errors.ts';
import { pipelineInputs } from '../run/inputs.ts';
import { compilePlan } from '../run/plan.ts';
import { cliContext, type CommonOptions } from './context.ts';
import { loadRunnableFile } from './pipeline-file.ts';
import { parseInputFlags } from './inputs.ts';
import { documentInputs } from './remote-run.ts';
import { RemoteBlobStore } from './remote-blobs.ts';
import { printErrors } from './report.ts';

export interface EstimateCommandOptions extends CommonOptions {
  input?: string[];
  json?: boolean;
  cache?: string;
  budgetUsd?: number;
  server?: string;
  token?: string;
  version?: number;
}

export async function estimateCommand(target: string, options: EstimateCommandOptions): Promise<number> {
  const cache = options.cache === undefined ? undefined : (CACHE_MODES as readonly string[]).includes(options.cache) ? (options.cache as CacheMode) : undefined;
  if (options.cache !== undefined && !cache) throw new TesseraError('USAGE', `--cache must be one of ${CACHE_MODES.join(', ')} (got "${options.cache}").`);
  const isFile = (await stat(target).catch(() => undefined))?.isFile() ?? false;
  let estimate: RunEstimate;
  if (options.server && !isFile) {
    const client = new TesseraClient({ server: options.server, token: options.token });
    const record = await client.getVersion(target, options.version);
    const inputs = await parseInputFlags(options.input ?? [], documentInputs(record.document), new RemoteBlobStore(client));
    estimate = await client.estimateRun(target, { inputs, version: record.version, cache, budgetUsd: options.budgetUsd });
  } else {
    const ctx = await cliContext(options);
    try {
      const { result: loaded } = await loadRunnableFile(target, ctx.registry, ctx.settings);
      if (!loaded.ok) {
        if (options.json) process.stdout.write(JSON.stringify({ status: 'invalid', error: loaded.errors[0], errors: loaded.errors }) + '\n');
        else printErrors(loaded.errors);
        return 1;
      }
      const inputs = await parseInputFlags(options.input ?? [], pipelineInputs(loaded.value), ctx.blobs);
      const plan = withRunBudget(compilePlan(loaded.value, ctx.settings.taskQueue, 'cli', cache), options.budgetUsd);
      estimate = await estimateRun(loaded.value, plan, inputs, { providers: await ctx.loadProviders(), audioSeconds: blobAudioSeconds(ctx.blobs) });
    } finally {
      ctx.vectors?.close();
    }
  }
  process.stdout.write(options.json ? `${JSON.stringify(estimate)}\n` : formatEstimate(estimate));
  return 0;
}

/** The estimate for people: the range, one line per kind of call, the budget, what was assumed or left out. */
export function formatEstimate(e: RunEstimate): string {
  const lines = [`estimate for ${e.pipelineName}: ${formatUsd(e.minUsd)} to ${formatUsd(e.maxUsd)} (list prices as of ${e.pricesAsOf} in engine/providers/prices.json)`];
  for (const node of e.nodes) {
    for (const call of node.calls) {
      const times = call.calls.min === call.calls.max ? `${call.calls.max}` : `${call.calls.min}-${call.calls.max}`;
      const cost = call.usdPerCall === undefined ? 'price unknown' : `${formatUsd(node.minUsd)} to ${formatUsd(node.maxUsd)}`;
      const cached = node.mayBeCached ? ' (may come from the cache: min counts it as free)' : '';
      lines.push(`  ${node.nodeId} (${node.type}): ${times} x ${call.provider} ${call.model} ${call.operation}, ${describeAmounts(call)} each: ${cost}${cached}`);
    }
  }
  if (!e.nodes.length) lines.push('  no provider calls');
  if (e.budgetUsd !== undefined) {
    const verdict = { yes: 'the maximum fits', no: 'even the minimum is over it: the run would stop before a call', maybe: 'the maximum is over it: the run may stop before a call' }[e.withinBudget ?? 'maybe'];
    lines.push(`budget ${formatUsd(e.budgetUsd)}: ${verdict}`);
  }
  for (const u of e.unpriced) lines.push(`not counted: ${u.nodeId} calls ${u.provider} ${u.model}, ${u.reason === 'no-vendor' ? 'which no vendor of the price table bills (a local server)' : 'which is not in the price table'}`);
  for (const a of e.assumptions) lines.push(`assumed: ${a}`);
  return `${lines.join('\n')}\n`;
}
