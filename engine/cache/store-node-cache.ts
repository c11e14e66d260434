/**
 * The output cache in the store: SQLite in the data folder, or PostgreSQL with TESSERA_DATABASE_URL, so
 * every API and worker process of a deployment shares it, on one host or many (the media its entries name
 * are in the blob store, shared the same way). Entries past `maxBytes` are evicted least recently used
 * first, checked after every twentieth of the bound written.
 *
 * The store is opened on first use when the cache was given a way to open one (a worker that has no store
 * of its own); `close()` then closes it.
 */
import type { Store } from '../store/types.ts';
import type { CacheEntry, CacheStats, NodeCache } from './node-cache.ts';

export const DEFAULT_CACHE_MAX_BYTES = 256 * 1024 * 1024;

export class StoreNodeCache implements NodeCache {
  private store?: Promise<Store>;
  private sinceCheck = 0;

  /** `store`: the process's store, or a function that opens one (closed by `close`). */
  constructor(
    private readonly source: Store | (() => Promise<Store>),
    readonly maxBytes = DEFAULT_CACHE_MAX_BYTES,
  ) {}

  private open(): Promise<Store> {
    this.store ??= typeof this.source === 'function' ? this.source() : Promise.resolve(this.source);
    return this.store;
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    const entry = await (await this.open()).cacheGet(key);
    return entry === undefined ? undefined : (JSON.parse(entry) as CacheEntry);
  }

  async put(key: string, entry: CacheEntry): Promise<void> {
    const store = await this.open();
    const json = JSON.stringify(entry);
    await store.cachePut(key, entry.type, json);
    this.sinceCheck += Buffer.byteLength(json);
    if (this.sinceCheck >= Math.max(1, this.maxBytes / 20)) {
      this.sinceCheck = 0;
      await store.cacheEvict(this.maxBytes);
    }
  }

  async clear(type?: string): Promise<number> {
    return (await this.open()).cacheClear(type);
  }

  async stats(): Promise<CacheStats> {
    return { ...(await (await this.open()).cacheStats()), maxBytes: this.maxBytes };
  }

  async evict(): Promise<number> {
    return (await this.open()).cacheEvict(this.maxBytes);
  }

  /** Closes the store this cache opened itself (a store it was given belongs to its owner). */
  async close(): Promise<void> {
    if (typeof this.source !== 'function' || !this.store) return;
    const store = this.store;
    this.store = undefined;
    await (await store.catch(() => undefined))?.close();
  }
}
