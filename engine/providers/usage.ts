/**
 * What provider calls cost, from the dated list-price table in prices.json.
 *
 * Prices belong to a vendor, not to a model name: a local server (LocalAI, Ollama) may well call its
 * model "gpt-4o", and it costs nothing. So a price is only looked up in the table of the vendor that
 * bills the provider: by default the provider's own name ("openai", "anthropic"), or the `pricing`
 * vendor a configured provider declares. Unknown models and unpriced providers get no `costUsd`
 * (undefined, never 0), so a total can say that it is incomplete.
 */
import { readFileSync } from 'node:fs';
import type { Usage } from './types.ts';

export interface ModelPrice {
  inputPer1M?: number;
  outputPer1M?: number;
  audioPerMinute?: number;
  perImage?: number;
}

export interface PriceTable {
  as_of: string;
  currency: 'USD';
  vendors: Record<string, Record<string, ModelPrice>>;
}

/** Read once; JSON import attributes would tie us to a Node/TS version pair, a file read does not. */
export const PRICES: PriceTable = JSON.parse(readFileSync(new URL('./prices.json', import.meta.url), 'utf8')) as PriceTable;

/** The price of a model, trying the undated name when the id carries a date or "-latest". */
export function priceOf(vendor: string, model: string, table: PriceTable = PRICES): ModelPrice | undefined {
  const models = table.vendors[vendor];
  if (!models) return undefined;
  const undated = model.replace(/-(\d{4}-\d{2}-\d{2}|\d{8}|latest)$/, '');
  return models[model] ?? models[undated];
}

/**
 * USD for one call, or undefined when the vendor or model is not in the table, or when the call
 * reports none of the figures the model is priced by. Token figures win over audio minutes for
 * models priced both ways (gpt-4o-transcribe bills tokens; a caller-supplied duration is a fallback).
 */
export function estimateCost(usage: Usage, options: { vendor?: string; table?: PriceTable } = {}): number | undefined {
  const price = priceOf(options.vendor ?? usage.provider, usage.model, options.table);
  if (!price) return undefined;
  let cost = 0;
  let priced = false;
  const part = (amount: number | undefined, rate: number | undefined, unit: number) => {
    if (amount === undefined || rate === undefined) return;
    cost += (amount * rate) / unit;
    priced = true;
  };
  part(usage.inputTokens, price.inputPer1M, 1e6);
  part(usage.outputTokens, price.outputPer1M, 1e6);
  if (!priced) part(usage.audioSeconds, price.audioPerMinute, 60);
  part(usage.images, price.perImage, 1);
  return priced ? roundUsd(cost) : undefined;
}

/** The usage with `costUsd` filled in for the given vendor (none: left undefined). */
export function withCost(usage: Usage, vendor: string | undefined): Usage {
  const costUsd = vendor ? estimateCost(usage, { vendor }) : undefined;
  return costUsd === undefined ? usage : { ...usage, costUsd };
}

export interface UsageTotals {
  calls: number;
  /** Sum of the known costs. */
  costUsd: number;
  /** Calls without a price (unknown model or unpriced provider): `costUsd` is then a lower bound. */
  unpricedCalls: number;
  /** One entry per provider and model, with summed figures. */
  byModel: Usage[];
}

/** Run totals: per provider/model sums and the overall known cost. */
export function sumUsage(list: readonly Usage[]): UsageTotals {
  const byKey = new Map<string, Usage>();
  let costUsd = 0;
  let unpricedCalls = 0;
  for (const u of list) {
    if (u.costUsd === undefined) unpricedCalls++;
    else costUsd += u.costUsd;
    const key = `${u.provider}\u0000${u.model}`;
    const acc = byKey.get(key) ?? { provider: u.provider, model: u.model };
    byKey.set(key, {
      ...acc,
      inputTokens: add(acc.inputTokens, u.inputTokens),
      outputTokens: add(acc.outputTokens, u.outputTokens),
      audioSeconds: add(acc.audioSeconds, u.audioSeconds),
      images: add(acc.images, u.images),
      costUsd: u.costUsd === undefined ? acc.costUsd : roundUsd((acc.costUsd ?? 0) + u.costUsd),
    });
  }
  const byModel = [...byKey.values()].map((u) => Object.fromEntries(Object.entries(u).filter(([, v]) => v !== undefined)) as unknown as Usage);
  return { calls: list.length, costUsd: roundUsd(costUsd), unpricedCalls, byModel };
}

function add(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0);
}

/** Nano-dollar precision: a few embedded words still cost something, and totals lose the float noise. */
function roundUsd(n: number): number {
  return Math.round(n * 1e9) / 1e9;
}
