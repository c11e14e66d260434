/**
 * `npm run bench`: Tessera against bare Temporal workflows on one embedded dev server, in one process.
 *   1. per-node overhead: a 50-node chain of instant nodes vs. 50 no-op activities in sequence;
 *   2. fan-out: 16 parallel nodes that each wait 500 ms, against the ideal 500 ms;
 *   3. throughput: a one-node pipeline started 20 times at once vs. the bare one-activity workflow;
 *   4. blob stores: a 200 MB object through the file-system store and the S3 store (moto), side by side;
 *   5. the output cache: a second identical voice-note run against the first (time, provider calls), and
 *      the cost of cache lookups on a 50-node chain.
 * Prints the tables (stdout) and writes them, with the machine description, to docs/benchmarks.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { loadSettings } from '../engine/config.ts';
import type { RunPipelineResult } from '../engine/run/plan.ts';
import { chainPipeline, fanOutPipeline } from './bench-nodes.ts';
import { BLOB_BENCH, blobStoreBenchmark } from './blob-store.ts';
import { createBenchEnv } from './env.ts';
import { cacheBenchmark } from './cache-bench.ts';
import { createProviders } from '../engine/providers/index.ts';
import { startFakeProviders } from '../test/support/fake-provider-server.ts';
import { describeMachine, markdown, ms, ratio, stats, table } from './report.ts';

const CHAIN = { length: 50, warmup: 2, reps: 8 };
const FAN_OUT = { width: 16, sleepMs: 500, warmup: 1, reps: 5 };
const THROUGHPUT = { concurrency: 20, warmup: 1, rounds: 5 };
const DOC = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));

const began = performance.now();
const log = (message: string): void => console.error(`[bench ${((performance.now() - began) / 1000).toFixed(1)}s] ${message}`);
const check = (ok: boolean, what: string): void => {
  if (!ok) throw new Error(`a benchmark run returned a wrong result: ${what}`);
};

const machine = describeMachine(loadSettings().temporal.cliPath);
// The AI providers are the tests' fake provider server, reached over HTTP through the official SDKs.
const fake = await startFakeProviders();
const env = await createBenchEnv(log, createProviders({ OPENAI_API_KEY: 'sk-bench-not-a-key', OPENAI_BASE_URL: fake.openaiBaseURL }, undefined));

/** CPU milliseconds used so far by this process (client and both workers) and by the dev server. */
function cpuNow(): { bench: number; server: number } {
  const { user, system } = process.cpuUsage();
  // The dev server runs under a small guard process (engine/temporal/child-guard.mjs): count the guard and
  // its children, the temporal server being one.
  let server = NaN;
  try {
    server = processTreeCpuMs(env.server.process.pid!);
  } catch {
    // not Linux: no server figure
  }
  return { bench: (user + system) / 1000, server };
}

/** CPU milliseconds (utime + stime, 10 ms ticks) of a process and its descendants, from /proc. */
function processTreeCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  let total = (Number(fields[11]) + Number(fields[12])) * 10;
  let children: string[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    // no children file: the process alone
  }
  for (const child of children) total += processTreeCpuMs(Number(child));
  return total;
}

interface Sample {
  wall: number;
  bench: number;
  server: number;
}

/** One run, from the start request to its result: wall time and CPU time spent on it. */
async function timed<T>(start: () => Promise<WorkflowHandle>, verify: (result: T) => void): Promise<Sample> {
  const cpu0 = cpuNow();
  const t0 = performance.now();
  const result = (await (await start()).result()) as T;
  const wall = performance.now() - t0;
  const cpu1 = cpuNow();
  verify(result);
  return { wall, bench: cpu1.bench - cpu0.bench, server: cpu1.server - cpu0.server };
}

/** Runs each measurement `warmup + reps` times, alternating between them; returns the measured samples. */
async function alternate(warmup: number, reps: number, runs: (() => Promise<Sample>)[]): Promise<Sample[][]> {
  const samples = runs.map(() => [] as Sample[]);
  for (let i = 0; i < warmup + reps; i++) {
    for (const [k, run] of runs.entries()) {
      const sample = await run();
      if (i >= warmup) samples[k].push(sample);
    }
  }
  return samples;
}

const wallOf = (samples: Sample[]) => stats(samples.map((s) => s.wall));
const meanOf = (samples: Sample[], key: 'bench' | 'server') => stats(samples.map((s) => s[key])).mean;

let exitCode = 0;
try {
  // 1. Per-node overhead.
  const n = CHAIN.length;
  const chain = env.validate(chainPipeline(n));
  const localChain = env.validate(chainPipeline(n, { local: true }));
  log(`chain of ${n}: ${CHAIN.warmup} warm-up + ${CHAIN.reps} measured runs of each`);
  const [chainT, chainL, chainB] = await alternate(CHAIN.warmup, CHAIN.reps, [
    () => timed<RunPipelineResult>(() => env.startPipeline(chain, { text: 'bench' }), (r) => check(r.outputs.text === 'bench', 'chain')),
    () => timed<RunPipelineResult>(() => env.startPipeline(localChain, { text: 'bench' }), (r) => check(r.outputs.text === 'bench', 'local chain')),
    () => timed<string>(() => env.startBare('bareChain', [n, 'bench']), (r) => check(r === 'bench', 'bare chain')),
  ]);
  const chainRow = (name: string, s: Sample[]) => {
    const w = wallOf(s);
    return [name, ...[w.mean, w.median, w.min, w.max, w.mean / n, meanOf(s, 'bench') / n, meanOf(s, 'server') / n].map(ms)];
  };
  const chainTable = table(
    ['Workflow', 'Mean', 'Median', 'Min', 'Max', 'Wall / node', 'Bench CPU / node', 'Server CPU / node'],
    [chainRow(`Tessera, ${n}-node chain`, chainT), chainRow(`Tessera, ${n} cheap nodes (local activities)`, chainL), chainRow(`Bare Temporal, ${n} activities`, chainB)],
  );

  // 2. Fan-out, with the bare workflow's fan-out as a reference.
  const { width, sleepMs } = FAN_OUT;
  const fanOut = env.validate(fanOutPipeline(width, sleepMs));
  log(`fan-out of ${width} x ${sleepMs} ms: ${FAN_OUT.warmup} warm-up + ${FAN_OUT.reps} measured runs of each`);
  const [fanT, fanB] = await alternate(FAN_OUT.warmup, FAN_OUT.reps, [
    () => timed<RunPipelineResult>(() => env.startPipeline(fanOut), (r) => check(Object.keys(r.outputs).length === width, 'fan-out')),
    () => timed<number>(() => env.startBare('bareFanOut', [width, sleepMs]), (r) => check(r === width, 'bare fan-out')),
  ]);
  const fanRow = (name: string, s: Sample[]) => {
    const w = wallOf(s);
    return [name, ...[w.mean, w.median, w.min, w.max].map(ms), ratio(w.mean / sleepMs)];
  };
  const fanTable = table(
    ['Workflow', 'Mean', 'Median', 'Min', 'Max', `Mean / ideal ${sleepMs} ms`],
    [fanRow(`Tessera, ${width} parallel nodes`, fanT), fanRow(`Bare Temporal, ${width} parallel activities`, fanB)],
  );

  // 3. Throughput: rounds of N concurrent one-node runs; runs per second = N / wall time of a round.
  const { concurrency } = THROUGHPUT;
  const single = env.validate(chainPipeline(1));
  const round = (one: () => Promise<Sample>) => async (): Promise<Sample> => {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, one));
    return { wall: performance.now() - t0, bench: NaN, server: NaN };
  };
  log(`throughput: ${THROUGHPUT.warmup} warm-up + ${THROUGHPUT.rounds} measured rounds of ${concurrency} concurrent runs, each`);
  const [roundT, roundB] = await alternate(THROUGHPUT.warmup, THROUGHPUT.rounds, [
    round(() => timed<RunPipelineResult>(() => env.startPipeline(single, { text: 'x' }), (r) => check(r.outputs.text === 'x', 'single'))),
    round(() => timed<string>(() => env.startBare('bareChain', [1, 'x']), (r) => check(r === 'x', 'bare single'))),
  ]);
  const rps = (s: Sample[]) => (concurrency * 1000) / wallOf(s).mean;
  const roundRow = (name: string, s: Sample[]) => {
    const w = wallOf(s);
    return [name, ...[w.mean, w.min, w.max].map(ms), rps(s).toFixed(1)];
  };
  const throughputTable = table(
    ['Workflow', `Round of ${concurrency}, mean`, 'Min', 'Max', 'Runs per second'],
    [roundRow('Tessera, 1-node pipeline', roundT), roundRow('Bare Temporal, 1 activity', roundB)],
  );

  // 4. Blob stores, each measurement in a process of its own.
  const blobTable = await blobStoreBenchmark(log);

  // 5. The output cache.
  const cacheBench = await cacheBenchmark(env, fake, log);

  const t = wallOf(chainT);
  const b = wallOf(chainB);
  const summary = table(
    ['Figure', 'Value'],
    [
      [`Chain of ${n}: wall time, Tessera / bare (mean)`, ratio(t.mean / b.mean)],
      [`Chain of ${n}: wall time, Tessera / bare (median)`, ratio(t.median / b.median)],
      ['Per node: wall time, Tessera (mean)', ms(t.mean / n)],
      [`Chain of ${n} cheap nodes (local activities): step / bare activity step (mean)`, ratio(wallOf(chainL).mean / b.mean)],
      [`Chain of ${n} cheap nodes: server CPU per step / bare's`, ratio(meanOf(chainL, 'server') / meanOf(chainB, 'server'))],
      ['Per node: wall time, bare Temporal (mean)', ms(b.mean / n)],
      ['Per node: engine overhead in wall time, Tessera - bare', ms((t.mean - b.mean) / n)],
      ['Per node: engine overhead in bench-process CPU, Tessera - bare', ms((meanOf(chainT, 'bench') - meanOf(chainB, 'bench')) / n)],
      [`Fan-out ${width} x ${sleepMs} ms: Tessera wall / ideal (mean)`, ratio(wallOf(fanT).mean / sleepMs)],
      [`Fan-out ${width} x ${sleepMs} ms: Tessera / bare (mean)`, ratio(wallOf(fanT).mean / wallOf(fanB).mean)],
      [`Throughput (${concurrency} at once): Tessera / bare runs per second`, ratio(rps(roundT) / rps(roundB))],
      ...cacheBench.summary,
    ],
  );
  const sections = [
    `### 1. Per-node overhead: chain of ${n} instant nodes (${CHAIN.reps} runs each, after ${CHAIN.warmup} warm-up runs)\n\n${chainTable}`,
    `### 2. Fan-out: ${width} parallel nodes waiting ${sleepMs} ms (${FAN_OUT.reps} runs each, after ${FAN_OUT.warmup} warm-up run)\n\n${fanTable}`,
    `### 3. Throughput: ${concurrency} runs started at once (${THROUGHPUT.rounds} rounds each, after ${THROUGHPUT.warmup} warm-up round)\n\n${throughputTable}`,
    `### 4. Blob stores: a ${BLOB_BENCH.sizeMiB} MiB object (${BLOB_BENCH.reps} runs each, after ${BLOB_BENCH.warmup} warm-up run, alternating)\n\n${blobTable}`,
    cacheBench.section,
    `### Summary\n\n${summary}`,
  ].join('\n\n');
  const seconds = Math.round((performance.now() - began) / 1000);
  machine.load = os.loadavg().map((l) => l.toFixed(1)).join(' / ');
  const document = markdown({ machine, sections, seconds, chain: CHAIN, fanOut: FAN_OUT, throughput: THROUGHPUT, blobs: BLOB_BENCH });
  console.log(document.slice(document.indexOf('## Machine')));
  // The editor's figures (npm run bench:editor) live between markers in the same file, and sections written
  // by hand follow them: keep everything from the editor's marker on.
  const previous = readFileSync(DOC, 'utf8');
  const keptSections = /<!-- editor-benchmark:start -->[\s\S]*$/.exec(previous)?.[0].trimEnd();
  writeFileSync(DOC, keptSections ? `${document.trimEnd()}\n\n${keptSections}\n` : document);
  log(`wrote ${DOC}`);
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  log('shutting down');
  await env.close();
  await fake.close();
}
process.exitCode = exitCode;
