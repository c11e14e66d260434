/**
 * `tessera cache stats|clear`: the output cache of a data folder (engine/cache/), managed on the machine
 * without a running server. Runs choose how they use it with `tessera run --cache <mode>`.
 */
import { FsNodeCache } from '../cache/fs-node-cache.ts';
import { cacheMaxBytes, dataPaths, loadSettings } from '../config.ts';
import { formatBytes } from '../run/size-limits.ts';

export interface CacheOptions {
  dataDir?: string;
  json?: boolean;
  type?: string;
}

const out = (text: string) => process.stdout.write(text + '\n');

function openCache(options: CacheOptions): FsNodeCache {
  return new FsNodeCache(dataPaths(loadSettings({ dataDir: options.dataDir }).dataDir).outputCache, cacheMaxBytes());
}

export async function cacheStatsCommand(options: CacheOptions): Promise<number> {
  const stats = await openCache(options).stats();
  if (options.json) out(JSON.stringify(stats));
  else out(`${stats.entries} cached node output${stats.entries === 1 ? '' : 's'}, ${formatBytes(stats.bytes)} of ${formatBytes(stats.maxBytes)} (TESSERA_CACHE_MAX_BYTES).`);
  return 0;
}

export async function cacheClearCommand(options: CacheOptions): Promise<number> {
  const removed = await openCache(options).clear(options.type);
  if (options.json) out(JSON.stringify({ removed }));
  else out(`Removed ${removed} cached node output${removed === 1 ? '' : 's'}${options.type ? ` of ${options.type} nodes` : ''}.`);
  return 0;
}
