/** Timing runs on the in-process world: one run, a round of runs started at once, alternation. */
import { performance } from 'node:perf_hooks';
import type { WorkflowHandle } from '@temporalio/client';
import type { BenchEnv } from './env.ts';
import { machineBusyMs, threadCpuMs, type ThreadCpu } from './proc.ts';
import { stats } from './report.ts';

export interface Sample {
  wall: number;
  /** CPU ms of this process (client and both workers) during the sample. */
  bench: number;
  /** CPU ms of the dev server's process tree during the sample. */
  server: number;
  /** Busy CPU ms of the whole machine (every process, ours and others') during the sample. */
  machine: number;
  /** 1-min load average at the end of the sample. */
  load: number;
  /** This process's CPU ms by thread kind (bench = about their sum). */
  threads: ThreadCpu;
}

const threadDelta = (a: ThreadCpu, b: ThreadCpu): ThreadCpu => ({ main: b.main - a.main, js: b.js - a.js, native: b.native - a.native });

/** One run, from the start request to its result: wall time and CPU time spent on it. */
export async function timed<T>(env: BenchEnv, start: () => Promise<WorkflowHandle>, verify: (result: T) => void): Promise<Sample> {
  const cpu0 = env.cpu();
  const machine0 = machineBusyMs();
  const threads0 = threadCpuMs();
  const t0 = performance.now();
  const result = (await (await start()).result()) as T;
  const wall = performance.now() - t0;
  const cpu1 = env.cpu();
  verify(result);
  return { wall, bench: cpu1.bench - cpu0.bench, server: cpu1.server - cpu0.server, machine: machineBusyMs() - machine0, load: env.load(), threads: threadDelta(threads0, threadCpuMs()) };
}

/** `count` runs started at once; the sample is the whole round (wall time until the last result, CPU of the round). */
export async function round<T>(env: BenchEnv, count: number, start: (i: number) => Promise<WorkflowHandle>, verify: (result: T) => void): Promise<Sample> {
  const cpu0 = env.cpu();
  const machine0 = machineBusyMs();
  const threads0 = threadCpuMs();
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: count }, async (_, i) => (await (await start(i)).result()) as T));
  const wall = performance.now() - t0;
  const cpu1 = env.cpu();
  results.forEach(verify);
  return { wall, bench: cpu1.bench - cpu0.bench, server: cpu1.server - cpu0.server, machine: machineBusyMs() - machine0, load: env.load(), threads: threadDelta(threads0, threadCpuMs()) };
}

/** Runs each measurement `warmup + reps` times, alternating between them; returns the measured samples. */
export async function alternate(warmup: number, reps: number, runs: (() => Promise<Sample>)[]): Promise<Sample[][]> {
  const samples = runs.map(() => [] as Sample[]);
  for (let i = 0; i < warmup + reps; i++) {
    for (const [k, run] of runs.entries()) {
      const sample = await run();
      if (i >= warmup) samples[k].push(sample);
    }
  }
  return samples;
}

export const wallOf = (samples: Sample[]) => stats(samples.map((s) => s.wall));
export const meanOf = (samples: Sample[], key: 'bench' | 'server' | 'machine' | 'load') => stats(samples.map((s) => s[key])).mean;
/** "12.0 / 20.1 / 3.2": CPU ms per run of the main thread, the other Node.js threads and the native threads. */
export function threadsPerRun(samples: Sample[], runs: number): string {
  const mean = (key: keyof ThreadCpu) => stats(samples.map((s) => s.threads[key])).mean / runs;
  return `${mean('main').toFixed(1)} / ${mean('js').toFixed(1)} / ${mean('native').toFixed(1)}`;
}
/** Cores' worth of CPU that processes other than the server and this one used during the samples (mean). */
export const otherCoresOf = (samples: Sample[]) => stats(samples.map((s) => (s.machine - s.server - s.bench) / s.wall)).mean;
/** "1.9 (1.2-2.8)": the mean 1-min load over the samples, and its range. */
export function loadOf(samples: Sample[]): string {
  const s = stats(samples.map((x) => x.load));
  return `${s.mean.toFixed(1)} (${s.min.toFixed(1)}-${s.max.toFixed(1)})`;
}
