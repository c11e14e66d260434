/** `--budget <usd>`: a number of US dollars, checked before anything is read or started. */
import { TesseraError } from '../errors.ts';

export function budgetFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const usd = Number(value.trim().replace(/^\$/, ''));
  if (value.trim() === '' || !Number.isFinite(usd) || usd < 0 || usd > 1_000_000) {
    throw new TesseraError('USAGE', `--budget must be an amount in US dollars between 0 and 1000000, such as 0.50 (got "${value}").`);
  }
  return usd;
}
