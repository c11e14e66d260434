/**
 * What the run index keeps of a run's inputs and outputs. A value stored as a blob (`{ $spilled: BlobRef }`,
 * see engine/worker/spill.ts) is put back inline only while it is at most INLINE_VALUE_BYTES and the
 * record's inline values stay within INLINE_RECORD_BYTES; otherwise the record (and every API answer made
 * from it) keeps the marker, which a client resolves with `GET /api/v1/blobs/<sha256>` (the value as JSON).
 * So a run record stays small whatever its nodes produced, and the API never reads a large value.
 */
import type { BlobRef } from '../../blob/ref.ts';
import type { BlobStore } from '../../blob/store.ts';
import { INLINE_RECORD_BYTES, INLINE_VALUE_BYTES, jsonBytes } from '../../run/size-limits.ts';
import { isSpilled, type SpilledValue } from '../../worker/spill.ts';

/** Gives the value behind a marker: `index` is the item's place when the port's value is a list. */
type Restore = (marker: SpilledValue, port: string, index: number | undefined) => Promise<unknown>;

/** Markers the budget allows are replaced by their values; `budget` is what inline values may add up to. */
async function inlineWithin(values: Record<string, unknown>, budget: number, sizeOf: (ref: BlobRef) => Promise<number | undefined>, restore: Restore): Promise<Record<string, unknown>> {
  // Values that were never spilled are inline already and use the budget first.
  let left = budget;
  for (const value of Object.values(values)) for (const item of Array.isArray(value) ? value : [value]) if (!isSpilled(item)) left -= jsonBytes(item);

  const result: Record<string, unknown> = {};
  const one = async (item: unknown, port: string, index: number | undefined): Promise<unknown> => {
    if (!isSpilled(item)) return item;
    const size = await sizeOf(item.$spilled);
    if (size === undefined || size > INLINE_VALUE_BYTES || size > left) return item;
    left -= size;
    return restore(item, port, index);
  };
  for (const [port, value] of Object.entries(values)) {
    if (!Array.isArray(value)) result[port] = await one(value, port, undefined);
    else {
      const items: unknown[] = [];
      for (const [i, item] of value.entries()) items.push(await one(item, port, i));
      result[port] = items;
    }
  }
  return result;
}

/**
 * The inputs a run record keeps: `spilled` is what the workflow got (large values as markers), `given` the
 * values themselves, from which small enough ones are put back without reading any blob.
 */
export function recordInputs(spilled: Record<string, unknown>, given: Record<string, unknown>): Promise<Record<string, unknown>> {
  return inlineWithin(
    spilled,
    INLINE_RECORD_BYTES,
    async (ref) => ref.size, // our own markers, made just now from `given`
    async (_marker, port, index) => (index === undefined ? given[port] : (given[port] as unknown[])[index]),
  );
}

/**
 * The outputs a run record keeps, read from the blob store only when they will be inlined. `budget`: what
 * is left of INLINE_RECORD_BYTES after the record's inputs.
 */
export function recordOutputs(outputs: Record<string, unknown>, blobs: Pick<BlobStore, 'readAll' | 'stat'>, budget: number): Promise<Record<string, unknown>> {
  return inlineWithin(
    outputs,
    budget,
    // The stored size, not the marker's claim: a marker may have come in as a client's JSON input.
    async (ref) => (await blobs.stat(ref))?.size,
    async (marker) => JSON.parse((await blobs.readAll(marker.$spilled)).toString('utf8')),
  );
}

/** What a record's inputs leave of INLINE_RECORD_BYTES for its outputs. */
export function outputBudget(inputs: Record<string, unknown>): number {
  return Math.max(0, INLINE_RECORD_BYTES - jsonBytes(inputs));
}
