/**
 * The output cache on disk, in the data folder next to the blobs it references (`outputs-cache/`), so
 * every worker and API process of a data folder shares it. One small JSON file per key (the outputs are
 * blob references and `$spilled` markers, never the media themselves), written atomically (temporary
 * file, then rename), so a reader never sees half an entry. A hit refreshes the file's time; when the
 * entries pass `maxBytes`, the least recently used go first.
 */
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { CacheEntry, CacheStats, NodeCache } from './node-cache.ts';

/** Default bound on the entries' total size (their JSON; the blobs they name are in the blob store). */
export const DEFAULT_CACHE_MAX_BYTES = 256 * 1024 * 1024;

export class FsNodeCache implements NodeCache {
  /** Bytes written since the last size check: eviction scans the folder only now and then. */
  private sinceCheck = 0;

  constructor(
    private readonly dir: string,
    readonly maxBytes = DEFAULT_CACHE_MAX_BYTES,
  ) {}

  private file(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`Not a cache key: ${key.slice(0, 80)}`);
    return path.join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    const file = this.file(key);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const now = new Date();
    await utimes(file, now, now).catch(() => undefined); // evicted meanwhile: the entry read is still good
    return JSON.parse(text) as CacheEntry;
  }

  async put(key: string, entry: CacheEntry): Promise<void> {
    const file = this.file(key);
    const json = JSON.stringify(entry);
    await mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temporary, json);
    await rename(temporary, file);
    this.sinceCheck += Buffer.byteLength(json);
    if (this.sinceCheck >= Math.max(1, this.maxBytes / 20)) {
      this.sinceCheck = 0;
      await this.evict();
    }
  }

  async clear(type?: string): Promise<number> {
    let removed = 0;
    for (const entry of await this.entries()) {
      if (type !== undefined) {
        const stored = JSON.parse(await readFile(entry.file, 'utf8').catch(() => '{}')) as Partial<CacheEntry>;
        if (stored.type !== type) continue;
      }
      await rm(entry.file, { force: true });
      removed++;
    }
    return removed;
  }

  async stats(): Promise<CacheStats> {
    const entries = await this.entries();
    return { entries: entries.length, bytes: entries.reduce((sum, e) => sum + e.size, 0), maxBytes: this.maxBytes };
  }

  /** Removes the least recently used entries until the rest fit in `maxBytes`. */
  async evict(): Promise<number> {
    const entries = (await this.entries()).sort((a, b) => a.used - b.used);
    let total = entries.reduce((sum, e) => sum + e.size, 0);
    let removed = 0;
    for (const entry of entries) {
      if (total <= this.maxBytes) break;
      await rm(entry.file, { force: true });
      total -= entry.size;
      removed++;
    }
    return removed;
  }

  private async entries(): Promise<{ file: string; size: number; used: number }[]> {
    const found: { file: string; size: number; used: number }[] = [];
    let shards: string[];
    try {
      shards = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return found;
      throw err;
    }
    for (const shard of shards) {
      for (const name of await readdir(path.join(this.dir, shard)).catch(() => [] as string[])) {
        if (!name.endsWith('.json')) continue;
        const file = path.join(this.dir, shard, name);
        const info = await stat(file).catch(() => undefined);
        if (info) found.push({ file, size: info.size, used: info.mtimeMs });
      }
    }
    return found;
  }
}
