/**
 * One blob store measurement in a process of its own (bench/blob-store.ts starts it), so that its peak
 * memory is the store's and nothing else's: the store TESSERA_BLOB_URL names (unset: files in a temporary
 * data folder), an object of `size` bytes streamed in from 256 KiB chunks, read back whole, then read in
 * ranges at random offsets. Prints one JSON line: times, and RSS sampled every 10 ms during each phase.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { checkBlobStore, openBlobStore } from '../engine/blob/open-blob-store.ts';

const size = Number(process.argv[2]);
const ranges = Number(process.argv[3] ?? 50);
const rangeBytes = 1024 * 1024;
const CHUNK = 256 * 1024;

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-blobs-'));
try {
  const store = await openBlobStore({ blobUrl: process.env.TESSERA_BLOB_URL || undefined, fsRoot: path.join(dataDir, 'blobs') });
  await checkBlobStore(store);
  // Fresh chunks with their index in them: a new object every run, nothing the store could dedupe.
  const seed = `${process.pid}-${Date.now()}`;
  function* source() {
    for (let i = 0; i * CHUNK < size; i++) {
      const chunk = Buffer.alloc(Math.min(CHUNK, size - i * CHUNK), i & 0xff);
      chunk.write(`${seed}:${i}`, 0);
      yield chunk;
    }
  }

  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const phase = async (run: () => Promise<unknown>) => {
    peak = process.memoryUsage().rss;
    const t0 = performance.now();
    await run();
    const ms = performance.now() - t0;
    return { ms, peakRss: Math.max(peak, process.memoryUsage().rss) };
  };
  const baseRss = process.memoryUsage().rss;
  let ref: Awaited<ReturnType<typeof store.put>> | undefined;
  const put = await phase(async () => {
    ref = await store.put(Readable.from(source()), { name: 'bench.bin' });
  });
  if (ref?.size !== size) throw new Error(`stored ${ref?.size} bytes instead of ${size}`);
  const get = await phase(async () => {
    const hash = createHash('sha256');
    for await (const chunk of await store.get(ref!)) hash.update(chunk as Buffer);
    if (hash.digest('hex') !== ref!.sha256) throw new Error('the object read back differs');
  });
  const ranged = await phase(async () => {
    for (let k = 0; k < ranges; k++) {
      const start = Math.floor(Math.random() * (size - rangeBytes));
      let got = 0;
      for await (const chunk of await store.get(ref!, { start, end: start + rangeBytes - 1 })) got += (chunk as Buffer).length;
      if (got !== rangeBytes) throw new Error(`a range read gave ${got} bytes`);
    }
  });
  clearInterval(sampler);
  await (store as { close?: () => Promise<void> }).close?.();
  const maxRss = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(`${JSON.stringify({ size, baseRss, maxRss, put, get, ranged, ranges, rangeBytes })}\n`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
