/**
 * Per-provider rate limits as people write them: TESSERA_RATE_LIMITS='openai=60/m,anthropic=50/m'. Each
 * entry is `<provider name>=<requests>/<interval>`, the interval a unit (`ms`, `s`, `m` or `min`, `h`)
 * optionally preceded by a number: `60/m`, `10/s`, `100/10s`, `1000/h`. Anything else is refused with a
 * USAGE error that names the entry, so a typo never leaves a deployment without the limit it meant.
 */
import { TesseraError } from '../errors.ts';

export interface RateLimit {
  /** The provider's name as nodes give it (`openai`, `anthropic`, a providers-file entry). */
  provider: string;
  /** Most requests to it in any window of `intervalMs`. */
  limit: number;
  intervalMs: number;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
const ENTRY = /^([a-z][a-z0-9_-]*)\s*=\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)?\s*(ms|s|min|m|h)$/;
/** Slots are rows in the store: a bound keeps a typo such as 60000/m from filling a table. */
export const MAX_LIMIT = 10_000;

export function parseRateLimits(value: string | undefined, source = 'TESSERA_RATE_LIMITS'): RateLimit[] {
  const limits: RateLimit[] = [];
  for (const raw of (value ?? '').split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    const match = ENTRY.exec(entry);
    const limit = match ? Number(match[2]) : NaN;
    const intervalMs = match ? Math.round(Number(match[3] ?? 1) * UNITS[match[4]]) : NaN;
    if (!match || !(limit >= 1 && limit <= MAX_LIMIT) || !(intervalMs >= 1)) {
      throw new TesseraError(
        'USAGE',
        `${source}: "${entry}" is not a rate limit. Write <provider>=<requests>/<interval>, comma-separated, e.g. openai=60/m,anthropic=50/m ` +
          `(requests 1 to ${MAX_LIMIT}; interval ms, s, m or h, optionally with a number: 100/10s).`,
        { details: { option: source, value: entry } },
      );
    }
    if (limits.some((l) => l.provider === match[1])) {
      throw new TesseraError('USAGE', `${source}: provider "${match[1]}" has two limits; give it one.`, { details: { option: source, value: entry } });
    }
    limits.push({ provider: match[1], limit, intervalMs });
  }
  return limits;
}

/** `60/m` for messages and the start-up banner. */
export function describeRateLimit(limit: RateLimit): string {
  const units: [string, number][] = [['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  const unit = units.find(([, ms]) => limit.intervalMs % ms === 0);
  if (!unit) return `${limit.limit}/${limit.intervalMs}ms`;
  const count = limit.intervalMs / unit[1];
  return `${limit.limit}/${count === 1 ? '' : count}${unit[0]}`;
}
