/**
 * The key of a node execution in the output cache: a SHA-256 over what decides its outputs, the node
 * type and version, its params (provider and model included), and the content of its inputs. A blob is
 * its sha256 (its name and reported type do not change the bytes a node reads), a large value is the
 * sha256 of its JSON (a `$spilled` marker), any other value its canonical JSON (keys sorted). Two runs
 * that feed a node the same bytes get the same key, whatever the runs or pipelines.
 */
import { createHash } from 'node:crypto';
import { isBlobRef } from '../blob/ref.ts';
import { isSpilled } from '../worker/spill.ts';

/** Bump when the meaning of a key changes, so old entries are never read as new ones. */
const KEY_VERSION = 1;

export interface CacheKeyParts {
  type: string;
  version: number;
  params: unknown;
  inputs: Record<string, unknown>;
}

export function cacheKey(parts: CacheKeyParts): string {
  const material = { v: KEY_VERSION, type: parts.type, version: parts.version, params: parts.params ?? {}, inputs: contentOf(parts.inputs) };
  return createHash('sha256').update(canonicalJson(material)).digest('hex');
}

/** Blobs and spilled values as their content hash; everything else as it is. */
function contentOf(value: unknown): unknown {
  if (isSpilled(value)) return { $json: value.$spilled.sha256 };
  if (isBlobRef(value)) return { $blob: value.sha256 };
  if (Array.isArray(value)) return value.map(contentOf);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, contentOf(v)]));
  return value;
}

/** JSON with object keys sorted at every level (and undefined members left out), so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
