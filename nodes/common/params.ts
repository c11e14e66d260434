import { z } from 'zod';
import { NodeError } from '../../engine/node-sdk/define-node.ts';

/** Params every provider-backed node shares. Keys are never params: they come from the worker's environment. */
export const providerParam = (fallback: string) =>
  z.string().min(1).default(fallback).describe('Provider name: openai, anthropic, compatible, local, or one from the providers file.');

/** Optional: when absent, the provider's default model for the job is used (see `resolveModel`). */
export const modelParam = (example: string) =>
  z.string().min(1).optional().describe(`Model name at that provider (e.g. "${example}"; default: the provider's model for this job).`);

/**
 * The model to call: the node's `model` param, else the default the provider's capability declares for
 * this job (decided by the provider's type, not its name); a provider without one needs the param.
 */
export function resolveModel(provider: string, model: string | undefined, fallback: string | undefined, job: string): string {
  const resolved = model ?? fallback;
  if (!resolved) {
    throw new NodeError('PARAMS_INVALID', `Provider "${provider}" has no default ${job} model: set the node's "model" param.`);
  }
  return resolved;
}

export const temperatureParam = z.number().min(0).max(2).optional().describe('Sampling temperature.');
export const maxTokensParam = z.number().int().min(1).max(100_000).optional().describe('Most tokens to generate.');
export const detailParam = z.enum(['low', 'high', 'auto']).default('auto').describe('Image detail the vision model looks at.');

/** A duration as the pipeline file writes them ("500ms", "30s", "5m", "1h"). */
export { Duration } from '../../engine/pipeline/schema.ts';
