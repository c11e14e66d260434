/**
 * Where the output cache keeps its entries: the store (shared by every worker of a deployment) holds
 * each entry's outputs as JSON (media as blob references, large values as `$spilled` markers, both in
 * the blob store), with its size and last use, bounded in total size with least-recently-used eviction.
 */
import type { Usage } from '../providers/types.ts';

export interface CacheEntry {
  /** The node's outputs as its run produced them (references into the blob store). */
  outputs: Record<string, unknown>;
  /** What the run that made the entry spent (kept with it; a hit charges nothing and reports no usage). */
  usage?: Usage[];
  /** The node type that made it, for stats and clearing by type. */
  type: string;
}

export interface CacheStats {
  entries: number;
  bytes: number;
  maxBytes: number;
}

export interface NodeCache {
  get(key: string): Promise<CacheEntry | undefined>;
  put(key: string, entry: CacheEntry): Promise<void>;
  /** Removes every entry (or those of one node type); returns how many went. */
  clear(type?: string): Promise<number>;
  stats(): Promise<CacheStats>;
}
