import { z } from 'zod';
import { NodeError } from '../../engine/node-sdk/define-node.ts';

/** Params every provider-backed node shares. Keys are never params: they come from the worker's environment. */
export const providerParam = (fallback: string) =>
  z.string().min(1).default(fallback).describe('Provider name: openai, anthropic, compatible, local, or one from the providers file.');

/** Optional: when absent, the provider's default model for the job is used (see `resolveModel`). */
export const modelParam = (example: string) =>
  z.string().min(1).optional().describe(`Model name at that provider (e.g. "${example}"; default: the provider's model for this job).`);

export type ModelUse = 'chat' | 'vision' | 'structured' | 'embed' | 'transcribe';

/** Defaults by provider, so `provider: anthropic` without a model never sends an OpenAI model name to Anthropic. */
const DEFAULT_MODELS: Record<string, Partial<Record<ModelUse, string>>> = {
  openai: { chat: 'gpt-4o-mini', vision: 'gpt-4o', structured: 'gpt-4o', embed: 'text-embedding-3-small', transcribe: 'whisper-1' },
  anthropic: { chat: 'claude-sonnet-4-6', vision: 'claude-sonnet-4-6', structured: 'claude-sonnet-4-6' },
};

export function resolveModel(provider: string, model: string | undefined, use: ModelUse): string {
  const resolved = model ?? DEFAULT_MODELS[provider]?.[use];
  if (!resolved) {
    throw new NodeError('PARAMS_INVALID', `Provider "${provider}" has no default ${use} model: set the node's "model" param.`);
  }
  return resolved;
}

export const temperatureParam = z.number().min(0).max(2).optional().describe('Sampling temperature.');
export const maxTokensParam = z.number().int().min(1).max(100_000).optional().describe('Most tokens to generate.');
export const detailParam = z.enum(['low', 'high', 'auto']).default('auto').describe('Image detail the vision model looks at.');
