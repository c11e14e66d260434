/**
 * Which nodes of a run read and write the output cache. A node type that must never be cached (side
 * effects such as a vector-index write, or reads of changing files) says `cacheable: false`. Of the
 * others, deterministic nodes are cached by default; nodes that call AI providers (they declare
 * `access.providers`) are cached when the pipeline, the node or the run turns caching on, because their
 * answers vary and a user may want a fresh one. The run's mode has the last word:
 *
 *   auto     the rules above (the default)
 *   on       every cacheable node, provider-backed ones included
 *   refresh  nothing is read; every cacheable node runs and its outputs replace the cached ones
 *   off      nothing is read or written
 */
export const CACHE_MODES = ['auto', 'on', 'refresh', 'off'] as const;
export type CacheMode = (typeof CACHE_MODES)[number];

/** What one node does with the cache: `rw` reads then writes, `w` only writes; absent: neither. */
export type NodeCacheUse = 'rw' | 'w';

export interface CacheDecision {
  /** The node type allows caching at all. */
  cacheable: boolean;
  /** The node type calls AI providers. */
  usesProviders: boolean;
  /** The pipeline file's `cache` (true: cache provider-backed nodes too). */
  pipelineCache?: boolean;
  /** The node's `options.cache` (true: cache it; false: never). */
  nodeCache?: boolean;
}

export function nodeCacheUse(decision: CacheDecision, mode: CacheMode = 'auto'): NodeCacheUse | undefined {
  if (!decision.cacheable || decision.nodeCache === false || mode === 'off') return undefined;
  if (mode === 'refresh') return 'w';
  if (mode === 'on') return 'rw';
  if (!decision.usesProviders) return 'rw';
  return (decision.nodeCache ?? decision.pipelineCache) === true ? 'rw' : undefined;
}
