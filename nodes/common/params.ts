import { z } from 'zod';

/** Params every provider-backed node shares. Keys are never params: they come from the worker's environment. */
export const providerParam = (fallback: string) =>
  z.string().min(1).default(fallback).describe('Provider name: openai, anthropic, compatible, local, or one from the providers file.');

export const modelParam = (fallback: string) => z.string().min(1).default(fallback).describe('Model name at that provider.');

export const temperatureParam = z.number().min(0).max(2).optional().describe('Sampling temperature.');
export const maxTokensParam = z.number().int().min(1).max(100_000).optional().describe('Most tokens to generate.');
export const detailParam = z.enum(['low', 'high', 'auto']).default('auto').describe('Image detail the vision model looks at.');
