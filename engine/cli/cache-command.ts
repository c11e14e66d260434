/**
 * `tessera cache stats|clear`: the output cache in the store (engine/cache/), managed on the machine
 * without a running server. Runs choose how they use it with `tessera run --cache <mode>`.
 */
import { StoreNodeCache } from '../cache/store-node-cache.ts';
import { cacheMaxBytes, loadSettings } from '../config.ts';
import { openStore } from '../store/open-store.ts';
import { formatBytes } from '../run/size-limits.ts';

export interface CacheOptions {
  dataDir?: string;
  json?: boolean;
  type?: string;
}

const out = (text: string) => process.stdout.write(text + '\n');

async function withCache<T>(options: CacheOptions, fn: (cache: StoreNodeCache) => Promise<T>): Promise<T> {
  const cache = new StoreNodeCache(() => openStore(loadSettings({ dataDir: options.dataDir })), cacheMaxBytes());
  try {
    return await fn(cache);
  } finally {
    await cache.close();
  }
}

export async function cacheStatsCommand(options: CacheOptions): Promise<number> {
  const stats = await withCache(options, (cache) => cache.stats());
  if (options.json) out(JSON.stringify(stats));
  else out(`${stats.entries} cached node output${stats.entries === 1 ? '' : 's'}, ${formatBytes(stats.bytes)} of ${formatBytes(stats.maxBytes)} (TESSERA_CACHE_MAX_BYTES).`);
  return 0;
}

export async function cacheClearCommand(options: CacheOptions): Promise<number> {
  const removed = await withCache(options, (cache) => cache.clear(options.type));
  if (options.json) out(JSON.stringify({ removed }));
  else out(`Removed ${removed} cached node output${removed === 1 ? '' : 's'}${options.type ? ` of ${options.type} nodes` : ''}.`);
  return 0;
}
