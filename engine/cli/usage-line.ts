/**
 * The usage line `tessera run` prints after a run. A call whose model is not in the price table has no
 * cost; adding it as $0 made such runs look free ("estimated $0.0000"), so unpriced calls are named and
 * the line says how old the list prices are and where they live.
 */
import { PRICES } from '../providers/usage.ts';
import type { Usage } from '../providers/types.ts';
import type { NodeState } from '../run/plan.ts';
import { usageTotals } from '../run/plan.ts';

export function usageLine(nodes: Record<string, NodeState>, asOf = PRICES.as_of): string | undefined {
  const u = usageTotals(nodes);
  if (!u.calls) return undefined;
  const calls = Object.values(nodes).flatMap((n) => n.usage ?? []);
  const unpriced = calls.filter((c) => c.costUsd === undefined);
  const parts = [`${u.calls} provider call${u.calls === 1 ? '' : 's'}`];
  if (u.inputTokens || u.outputTokens) parts.push(`${u.inputTokens} input + ${u.outputTokens} output tokens`);
  if (u.audioSeconds) parts.push(`${u.audioSeconds.toFixed(1)} s audio`);
  if (u.images) parts.push(`${u.images} images`);
  const prices = `list prices as of ${asOf} in engine/providers/prices.json`;
  if (!unpriced.length) parts.push(`estimated $${u.costUsd.toFixed(4)} (${prices})`);
  else {
    const models = `${[...new Set(unpriced.map(name))].join(', ')} not in the price table`;
    const known = unpriced.length < calls.length ? `estimated $${u.costUsd.toFixed(4)} + ` : '';
    parts.push(`cost ${known}unknown for ${unpriced.length} call${unpriced.length === 1 ? '' : 's'} (${models}; ${prices})`);
  }
  return parts.join(', ');
}

const name = (u: Usage) => `${u.provider}/${u.model}`;
