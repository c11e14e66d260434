/**
 * `npm run bench`: Tessera against a bare Temporal workflow on one embedded dev server, in one process.
 *   1. per-node overhead: a 50-node chain of instant nodes vs. 50 no-op activities in sequence;
 *   2. fan-out: 16 parallel nodes that each wait 500 ms, against the ideal 500 ms;
 *   3. throughput: a one-node pipeline started 20 times at once vs. the bare one-activity workflow.
 * Prints the tables and writes them, with the machine description, to docs/benchmarks.md.
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { loadSettings } from '../engine/config.ts';
import type { RunPipelineResult } from '../engine/run/plan.ts';
import { chainPipeline, fanOutPipeline } from './bench-nodes.ts';
import { createBenchEnv } from './env.ts';
import { describeMachine, machineTable, ms, ratio, stats, table, type Stats } from './report.ts';

const CHAIN = { length: 50, warmup: 2, reps: 8 };
const FAN_OUT = { width: 16, sleepMs: 500, warmup: 1, reps: 5 };
const THROUGHPUT = { concurrency: 20, warmup: 1, rounds: 3 };
const DOC = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));

const began = performance.now();
const log = (message: string): void => console.error(`[bench ${((performance.now() - began) / 1000).toFixed(1)}s] ${message}`);

/** Wall time of one run, from the start request to its result. */
async function timed<T>(start: () => Promise<WorkflowHandle>, check: (result: T) => void): Promise<number> {
  const t0 = performance.now();
  const result = (await (await start()).result()) as T;
  const elapsed = performance.now() - t0;
  check(result);
  return elapsed;
}

function expect(condition: boolean, what: string): void {
  if (!condition) throw new Error(`benchmark run returned a wrong result: ${what}`);
}

const machine = describeMachine(loadSettings().temporal.cliPath);
const env = await createBenchEnv(log);
let exitCode = 0;
try {
  // 1. Per-node overhead. Tessera and bare runs alternate, so drift in the server affects both alike.
  const chain = env.validate(chainPipeline(CHAIN.length));
  const runChain = () =>
    timed<RunPipelineResult>(() => env.startPipeline(chain, { text: 'bench' }), (r) => expect(r.outputs.text === 'bench', 'chain output'));
  const runBareChain = () => timed<string>(() => env.startBare(CHAIN.length, 'bench'), (r) => expect(r === 'bench', 'bare output'));
  log(`chain of ${CHAIN.length}: ${CHAIN.warmup} warm-up + ${CHAIN.reps} measured runs of each`);
  const chainSamples = { tessera: [] as number[], bare: [] as number[] };
  for (let i = 0; i < CHAIN.warmup + CHAIN.reps; i++) {
    const t = await runChain();
    const b = await runBareChain();
    if (i >= CHAIN.warmup) {
      chainSamples.tessera.push(t);
      chainSamples.bare.push(b);
    }
  }
  const chainTessera = stats(chainSamples.tessera);
  const chainBare = stats(chainSamples.bare);

  // 2. Fan-out.
  const fanOut = env.validate(fanOutPipeline(FAN_OUT.width, FAN_OUT.sleepMs));
  log(`fan-out of ${FAN_OUT.width} x ${FAN_OUT.sleepMs} ms: ${FAN_OUT.warmup} warm-up + ${FAN_OUT.reps} measured runs`);
  const fanSamples: number[] = [];
  for (let i = 0; i < FAN_OUT.warmup + FAN_OUT.reps; i++) {
    const t = await timed<RunPipelineResult>(
      () => env.startPipeline(fanOut),
      (r) => expect(Object.keys(r.outputs).length === FAN_OUT.width, 'fan-out outputs'),
    );
    if (i >= FAN_OUT.warmup) fanSamples.push(t);
  }
  const fan = stats(fanSamples);

  // 3. Throughput: rounds of N concurrent one-node runs; runs per second = N / round wall time.
  const single = env.validate(chainPipeline(1));
  const round = async (runOne: () => Promise<number>): Promise<number> => {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: THROUGHPUT.concurrency }, runOne));
    return performance.now() - t0;
  };
  log(`throughput: ${THROUGHPUT.warmup} warm-up + ${THROUGHPUT.rounds} measured rounds of ${THROUGHPUT.concurrency} concurrent runs, each`);
  const roundSamples = { tessera: [] as number[], bare: [] as number[] };
  for (let i = 0; i < THROUGHPUT.warmup + THROUGHPUT.rounds; i++) {
    const t = await round(() => timed<RunPipelineResult>(() => env.startPipeline(single, { text: 'x' }), (r) => expect(r.outputs.text === 'x', 'single output')));
    const b = await round(() => timed<string>(() => env.startBare(1, 'x'), (r) => expect(r === 'x', 'bare single output')));
    if (i >= THROUGHPUT.warmup) {
      roundSamples.tessera.push(t);
      roundSamples.bare.push(b);
    }
  }
  const roundTessera = stats(roundSamples.tessera);
  const roundBare = stats(roundSamples.bare);
  const rps = (s: Stats) => (THROUGHPUT.concurrency * 1000) / s.mean;

  // Tables.
  const n = CHAIN.length;
  const chainTable = table(
    ['Workflow', 'Mean', 'Median', 'Min', 'Max', 'Per node (mean)'],
    [
      ['Tessera runPipeline', ...[chainTessera.mean, chainTessera.median, chainTessera.min, chainTessera.max, chainTessera.mean / n].map(ms)],
      ['Bare Temporal workflow', ...[chainBare.mean, chainBare.median, chainBare.min, chainBare.max, chainBare.mean / n].map(ms)],
    ],
  );
  const fanTable = table(
    ['Run', 'Mean', 'Median', 'Min', 'Max', 'Ideal', 'Mean / ideal'],
    [[`${FAN_OUT.width} parallel x ${FAN_OUT.sleepMs} ms`, ...[fan.mean, fan.median, fan.min, fan.max, FAN_OUT.sleepMs].map(ms), ratio(fan.mean / FAN_OUT.sleepMs)]],
  );
  const throughputTable = table(
    ['Workflow', `Round of ${THROUGHPUT.concurrency} (mean)`, 'Min', 'Max', 'Runs per second'],
    [
      ['Tessera, 1-node pipeline', ms(roundTessera.mean), ms(roundTessera.min), ms(roundTessera.max), rps(roundTessera).toFixed(1)],
      ['Bare workflow, 1 activity', ms(roundBare.mean), ms(roundBare.min), ms(roundBare.max), rps(roundBare).toFixed(1)],
    ],
  );
  const summary = table(
    ['Figure', 'Value'],
    [
      [`Chain of ${n}, Tessera / bare (mean)`, ratio(chainTessera.mean / chainBare.mean)],
      [`Chain of ${n}, Tessera / bare (median)`, ratio(chainTessera.median / chainBare.median)],
      ['Per node, Tessera (mean)', ms(chainTessera.mean / n)],
      ['Per node, bare Temporal (mean)', ms(chainBare.mean / n)],
      ['Per-node engine overhead, Tessera - bare (mean)', ms((chainTessera.mean - chainBare.mean) / n)],
      [`Fan-out ${FAN_OUT.width} x ${FAN_OUT.sleepMs} ms, wall / ideal (mean)`, ratio(fan.mean / FAN_OUT.sleepMs)],
      ['Throughput, Tessera / bare (runs per second)', ratio(rps(roundTessera) / rps(roundBare))],
    ],
  );
  const sections = [
    `### 1. Per-node overhead: chain of ${n} instant nodes (${CHAIN.reps} runs each after ${CHAIN.warmup} warm-up)\n\n${chainTable}`,
    `### 2. Fan-out: ${FAN_OUT.width} parallel nodes waiting ${FAN_OUT.sleepMs} ms (${FAN_OUT.reps} runs after ${FAN_OUT.warmup} warm-up)\n\n${fanTable}`,
    `### 3. Throughput: ${THROUGHPUT.concurrency} runs started at once (${THROUGHPUT.rounds} rounds each after ${THROUGHPUT.warmup} warm-up)\n\n${throughputTable}`,
    `### Summary\n\n${summary}`,
  ].join('\n\n');
  const totalSeconds = ((performance.now() - began) / 1000).toFixed(0);

  console.log(`\nMachine\n\n${machineTable(machine)}\n\n${sections}\n`);
  writeFileSync(DOC, markdown(machineTable(machine), sections, totalSeconds));
  log(`wrote ${DOC}`);
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  log('shutting down');
  await env.close();
}
process.exitCode = exitCode;

function markdown(machineText: string, sections: string, totalSeconds: string): string {
  return `# Benchmarks

These figures come from \`npm run bench\` (\`bench/run.ts\`); the script rewrites this file each time it
runs, so the numbers below are those of the last run on the machine described. Timings on a shared or
virtual machine vary by 10-20 % between runs; compare ratios rather than absolute milliseconds.

## How to run

\`\`\`sh
npm install      # also installs the temporal CLI into .tools/
npm run bench    # about ${totalSeconds} s on the machine below
\`\`\`

The script needs nothing running: it starts its own embedded Temporal dev server (headless, free ports,
SQLite file in a temporary folder), a Tessera worker and a baseline worker in the same process, runs the
measurements one after another, prints the tables, writes this file, and shuts everything down.
Progress goes to stderr, the tables to stdout. \`TEMPORAL_CLI_PATH\` picks another \`temporal\` binary.

## What is measured

Wall time of a run is measured from the client's start request to the workflow's result, so it includes
the start RPC, every workflow and activity task round trip through the server, and the result poll.

1. **Per-node overhead.** A Tessera pipeline \`input -> ${CHAIN.length} x bench-noop -> output\` (every
   bench-noop node returns its text at once; input and output nodes are resolved inside the workflow)
   against \`bench/bare-workflow.ts\`, a plain Temporal workflow that awaits ${CHAIN.length} no-op activities
   in sequence. Both workers use the same worker settings; runs of the two alternate.
   Per-node overhead = (Tessera mean - bare mean) / ${CHAIN.length}.
2. **Fan-out.** ${FAN_OUT.width} independent \`bench-sleep\` nodes that each wait ${FAN_OUT.sleepMs} ms, each feeding its
   own output node. The ideal is ${FAN_OUT.sleepMs} ms: all nodes run at once.
3. **Throughput.** The pipeline \`input -> bench-noop -> output\` started ${THROUGHPUT.concurrency} times at once; runs per
   second = ${THROUGHPUT.concurrency} / wall time of the round (mean over rounds). The baseline is the bare
   workflow with one activity, started the same way.

## Machine

${machineText}

## Results

${sections}
`;
}
