/**
 * Keeps workflow history small when a node's output is large (a long transcript, a big JSON document):
 * such a value is stored in the blob store and replaced by a marker `{ $spilled: BlobRef }`, which the
 * next activity (or the CLI/API reading the outputs) turns back into the value. Lists are spilled item
 * by item so the workflow can still concatenate them.
 */
import { isBlobRef, type BlobRef } from '../blob/ref.ts';
import type { BlobStore } from '../blob/store.ts';

export const SPILL_THRESHOLD_BYTES = 32 * 1024;

export interface SpilledValue {
  $spilled: BlobRef;
}

export function isSpilled(value: unknown): value is SpilledValue {
  return typeof value === 'object' && value !== null && '$spilled' in value && isBlobRef((value as SpilledValue).$spilled);
}

async function spillOne(value: unknown, blobs: BlobStore, threshold: number): Promise<unknown> {
  if (value === undefined) return value;
  const json = JSON.stringify(value);
  if (json === undefined || Buffer.byteLength(json) <= threshold) return value;
  return { $spilled: await blobs.put(json, { mime: 'application/json' }) } satisfies SpilledValue;
}

export async function spillLargeValues(
  values: Record<string, unknown>,
  blobs: BlobStore,
  threshold = SPILL_THRESHOLD_BYTES,
): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  for (const [port, value] of Object.entries(values)) {
    result[port] = Array.isArray(value)
      ? await Promise.all(value.map((item) => spillOne(item, blobs, threshold)))
      : await spillOne(value, blobs, threshold);
  }
  return result;
}

async function restoreOne(value: unknown, blobs: BlobStore): Promise<unknown> {
  return isSpilled(value) ? JSON.parse((await blobs.readAll(value.$spilled)).toString('utf8')) : value;
}

export async function restoreSpilled(values: Record<string, unknown>, blobs: BlobStore): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  for (const [port, value] of Object.entries(values)) {
    result[port] = Array.isArray(value) ? await Promise.all(value.map((item) => restoreOne(item, blobs))) : await restoreOne(value, blobs);
  }
  return result;
}
