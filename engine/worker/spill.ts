/**
 * Keeps workflow history small when a value is large (a long transcript, a big JSON document, a long text
 * input): such a value is stored in the blob store and replaced by a marker `{ $spilled: BlobRef }` whose
 * blob holds the value as JSON. The next activity (or the CLI, or an API client) turns it back into the
 * value. Lists are spilled item by item so the workflow can still concatenate them.
 *
 * The same marker is the public shape of a large value in run records and API answers (see
 * engine/api/runs/record-values.ts): `GET /api/v1/blobs/<sha256>` gives its JSON.
 */
import { isBlobRef, type BlobRef } from '../blob/ref.ts';
import type { BlobStore } from '../blob/store.ts';
import type { BlobUndo } from '../blob/undo-log.ts';
import { formatBytes, MAX_VALUE_BYTES, SPILL_THRESHOLD_BYTES } from '../run/size-limits.ts';

export { SPILL_THRESHOLD_BYTES };

export interface SpilledValue {
  $spilled: BlobRef;
}

export function isSpilled(value: unknown): value is SpilledValue {
  return typeof value === 'object' && value !== null && '$spilled' in value && isBlobRef((value as SpilledValue).$spilled);
}

/** A value over MAX_VALUE_BYTES: a node produced it, or a marker points at a blob that large. */
export class ValueTooLargeError extends Error {
  constructor(
    readonly port: string,
    readonly direction: 'input' | 'output',
    bytes: number | undefined,
    readonly maxBytes: number,
  ) {
    const size = bytes === undefined ? 'larger than a string can hold' : formatBytes(bytes);
    super(`${direction === 'output' ? 'Output' : 'Input'} "${port}" is ${size} as JSON, over the ${formatBytes(maxBytes)} a value may be.`);
    this.name = 'ValueTooLargeError';
  }
}

export interface SpillOptions {
  /** Values whose JSON is larger are stored as blobs (default SPILL_THRESHOLD_BYTES). */
  threshold?: number;
  /** Values whose JSON is larger are refused with ValueTooLargeError (default MAX_VALUE_BYTES). */
  maxBytes?: number;
  /** Records the blobs created, so that a request refused afterwards leaves none behind. */
  undo?: BlobUndo;
}

async function spillOne(port: string, value: unknown, blobs: BlobStore, threshold: number, maxBytes: number, undo?: BlobUndo): Promise<unknown> {
  if (value === undefined) return value;
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    // V8 cannot build a string this long: the value is far over any bound.
    if (err instanceof RangeError) throw new ValueTooLargeError(port, 'output', undefined, maxBytes);
    throw err;
  }
  if (json === undefined) return value;
  const bytes = Buffer.byteLength(json);
  if (bytes > maxBytes) throw new ValueTooLargeError(port, 'output', bytes, maxBytes);
  if (bytes <= threshold) return value;
  return { $spilled: await blobs.put(json, { mime: 'application/json', ...(undo ? { undo } : {}) }) } satisfies SpilledValue;
}

export async function spillLargeValues(values: Record<string, unknown>, blobs: BlobStore, options: SpillOptions = {}): Promise<Record<string, unknown>> {
  const threshold = options.threshold ?? SPILL_THRESHOLD_BYTES;
  const maxBytes = options.maxBytes ?? MAX_VALUE_BYTES;
  const result: Record<string, unknown> = {};
  for (const [port, value] of Object.entries(values)) {
    // One item at a time: a list of large items never has all its JSON in memory at once.
    if (Array.isArray(value)) {
      const items: unknown[] = [];
      for (const item of value) items.push(await spillOne(port, item, blobs, threshold, maxBytes, options.undo));
      result[port] = items;
    } else result[port] = await spillOne(port, value, blobs, threshold, maxBytes, options.undo);
  }
  return result;
}

/** What restoring needs of a blob store (the API client's remote store has it too). */
export type SpillReader = Pick<BlobStore, 'readAll' | 'stat'>;

async function restoreOne(port: string, value: unknown, blobs: SpillReader, maxBytes: number): Promise<unknown> {
  if (!isSpilled(value)) return value;
  // The stored size, not the marker's claim: a marker can come from a client (a JSON input).
  const size = (await blobs.stat(value.$spilled))?.size;
  if (size !== undefined && size > maxBytes) throw new ValueTooLargeError(port, 'input', size, maxBytes);
  return JSON.parse((await blobs.readAll(value.$spilled)).toString('utf8'));
}

/** Turns every marker back into its value (port values and list items, as spilled). */
export async function restoreSpilled(values: Record<string, unknown>, blobs: SpillReader, options: { maxBytes?: number } = {}): Promise<Record<string, unknown>> {
  const maxBytes = options.maxBytes ?? MAX_VALUE_BYTES;
  const result: Record<string, unknown> = {};
  for (const [port, value] of Object.entries(values)) {
    result[port] = Array.isArray(value)
      ? await Promise.all(value.map((item) => restoreOne(port, item, blobs, maxBytes)))
      : await restoreOne(port, value, blobs, maxBytes);
  }
  return result;
}
