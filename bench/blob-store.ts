/**
 * Part `blobs` of `npm run bench`: blob stores side by side: a 200 MB object put, read back whole and read in
 * 1 MiB ranges, by the file-system store (a temporary data folder) and by the S3 store (TESSERA_BLOB_URL
 * on moto's S3 server on this machine, the same endpoint the tests use). Each measurement runs in a fresh
 * process (bench/blob-child.ts), so peak RSS is the store's own; the two stores alternate.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MOTO_SERVER, startMoto } from '../test/support/moto.ts';
import type { Part, PartContext, PartResult } from './parts.ts';
import { stats, table } from './report.ts';

const MiB = 1024 * 1024;
export const BLOB_BENCH = { sizeMiB: 200, warmup: 1, reps: 3, ranges: 50 };
const CHILD = fileURLToPath(new URL('./blob-child.ts', import.meta.url));
const BUCKET = 'tessera-bench';

interface Phase {
  ms: number;
  peakRss: number;
}
interface Sample {
  size: number;
  baseRss: number;
  maxRss: number;
  put: Phase;
  get: Phase;
  ranged: Phase;
  ranges: number;
  rangeBytes: number;
}

async function measure(env: Record<string, string>): Promise<Sample> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CHILD, String(BLOB_BENCH.sizeMiB * MiB), String(BLOB_BENCH.ranges)], {
    env: { ...process.env, TESSERA_BLOB_URL: '', ...env },
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Sample;
}

const DESCRIPTION = `A ${BLOB_BENCH.sizeMiB} MiB object streamed into the store from 256 KiB chunks (\`put\`), read back whole and
hashed, then ${BLOB_BENCH.ranges} reads of 1 MiB at random offsets, by the file-system store (a temporary data folder) and
by the S3 store (\`TESSERA_BLOB_URL\`) against moto's S3 server (\`moto[server]\`, installed by
\`node scripts/test-tools.mjs\`) on this machine; ${BLOB_BENCH.reps} runs each after ${BLOB_BENCH.warmup} warm-up, alternating. Each
measurement is a fresh Node.js process (\`bench/blob-child.ts\`) opening the store as Tessera does, so its
RSS is the store's: sampled every 10 ms without forcing garbage collection; *RSS before* is the process
with the store opened, before the put. The S3 store's memory is bounded by its parts (8 MiB, 4 in flight),
not by the object's size. Its throughput here is moto's, a Python server keeping objects in memory on the
same cores (and doing the server-side copy of a large put to its content key), not what S3 or a
production S3-compatible server would give.`;

async function run({ log }: PartContext): Promise<PartResult> {
  return { body: `${DESCRIPTION}\n\n${await blobStoreTable(log)}`, goals: [] };
}

export const blobsPart: Part = { id: 'blobs', title: `Blob stores: a ${BLOB_BENCH.sizeMiB} MiB object`, minutes: 1, usesEnv: false, run };

/** The table, or a line saying why the S3 half could not run. */
async function blobStoreTable(log: (message: string) => void): Promise<string> {
  if (!existsSync(MOTO_SERVER)) return `Not measured: ${MOTO_SERVER} is missing (\`node scripts/test-tools.mjs\` installs it).`;
  const moto = await startMoto();
  try {
    await moto.createBucket(BUCKET);
    const stores: { name: string; env: Record<string, string> }[] = [
      { name: 'File system (data folder)', env: {} },
      { name: `S3 (moto ${moto.endpoint.replace('http://', '')})`, env: { ...moto.env, TESSERA_BLOB_URL: `s3://${BUCKET}/bench` } },
    ];
    const samples = stores.map(() => [] as Sample[]);
    log(`blob stores: ${BLOB_BENCH.warmup} warm-up + ${BLOB_BENCH.reps} measured ${BLOB_BENCH.sizeMiB} MiB objects per store, alternating`);
    for (let i = 0; i < BLOB_BENCH.warmup + BLOB_BENCH.reps; i++) {
      for (const [k, store] of stores.entries()) {
        const sample = await measure(store.env);
        if (i >= BLOB_BENCH.warmup) samples[k].push(sample);
      }
    }
    const mbps = (s: Sample[], phase: 'put' | 'get') => stats(s.map((x) => x.size / MiB / (x[phase].ms / 1000))).mean.toFixed(0);
    const rangeMs = (s: Sample[]) => stats(s.map((x) => x.ranged.ms / x.ranges)).mean.toFixed(1);
    const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;
    const peak = (s: Sample[], phase: 'put' | 'get') => mib(Math.max(...s.map((x) => x[phase].peakRss)));
    const growth = (s: Sample[]) => mib(Math.max(...s.map((x) => Math.max(x.put.peakRss, x.get.peakRss, x.ranged.peakRss) - x.baseRss)));
    return table(
      ['Store', 'Put MiB/s', 'Read MiB/s', `1 MiB range read`, 'Peak RSS, put', 'Peak RSS, read', 'Peak RSS - RSS before', 'Max RSS of the process'],
      stores.map((store, k) => {
        const s = samples[k];
        return [store.name, mbps(s, 'put'), mbps(s, 'get'), `${rangeMs(s)} ms`, peak(s, 'put'), peak(s, 'get'), growth(s), mib(Math.max(...s.map((x) => x.maxRss)))];
      }),
    );
  } finally {
    await moto.stop();
  }
}
