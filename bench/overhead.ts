/**
 * Part `overhead`: what the engine adds around nodes, against bare Temporal on the same server.
 *   1. a 50-node chain of instant nodes (regular activities, and as local activities) vs. 50 no-op activities;
 *   2. fan-out: 16 parallel nodes that each wait 500 ms, against the ideal 500 ms;
 *   3. throughput: a one-node pipeline started 20 times at once vs. the bare one-activity workflow.
 */
import type { RunPipelineResult } from '../engine/run/plan.ts';
import { chainPipeline, fanOutPipeline } from './bench-nodes.ts';
import { check, type Part, type PartContext, type PartResult } from './parts.ts';
import { ms, ratio, table } from './report.ts';
import { alternate, loadOf, meanOf, round, timed, wallOf, type Sample } from './sampling.ts';

const CHAIN = { length: 50, warmup: 2, reps: 8 };
const FAN_OUT = { width: 16, sleepMs: 500, warmup: 1, reps: 5 };
const THROUGHPUT = { concurrency: 20, warmup: 1, rounds: 5 };

async function run({ env: getEnv, log }: PartContext): Promise<PartResult> {
  const env = await getEnv();
  const n = CHAIN.length;
  const chain = env.validate(chainPipeline(n));
  const localChain = env.validate(chainPipeline(n, { local: true }));
  log(`chain of ${n}: ${CHAIN.warmup} warm-up + ${CHAIN.reps} measured runs of each`);
  const [chainT, chainL, chainB] = await alternate(CHAIN.warmup, CHAIN.reps, [
    () => timed<RunPipelineResult>(env, () => env.startPipeline(chain, { text: 'bench' }), (r) => check(r.outputs.text === 'bench', 'chain')),
    () => timed<RunPipelineResult>(env, () => env.startPipeline(localChain, { text: 'bench' }), (r) => check(r.outputs.text === 'bench', 'local chain')),
    () => timed<string>(env, () => env.startBare('bareChain', [n, 'bench']), (r) => check(r === 'bench', 'bare chain')),
  ]);
  const chainRow = (name: string, s: Sample[]) => {
    const w = wallOf(s);
    return [name, ...[w.mean, w.median, w.min, w.max, w.mean / n, meanOf(s, 'bench') / n, meanOf(s, 'server') / n].map(ms), loadOf(s)];
  };
  const chainTable = table(
    ['Workflow', 'Mean', 'Median', 'Min', 'Max', 'Wall / node', 'Bench CPU / node', 'Server CPU / node', 'Load (1 min)'],
    [chainRow(`Tessera, ${n}-node chain`, chainT), chainRow(`Tessera, ${n} cheap nodes (local, one chain)`, chainL), chainRow(`Bare Temporal, ${n} activities`, chainB)],
  );

  const { width, sleepMs } = FAN_OUT;
  const fanOut = env.validate(fanOutPipeline(width, sleepMs));
  log(`fan-out of ${width} x ${sleepMs} ms: ${FAN_OUT.warmup} warm-up + ${FAN_OUT.reps} measured runs of each`);
  const [fanT, fanB] = await alternate(FAN_OUT.warmup, FAN_OUT.reps, [
    () => timed<RunPipelineResult>(env, () => env.startPipeline(fanOut), (r) => check(Object.keys(r.outputs).length === width, 'fan-out')),
    () => timed<number>(env, () => env.startBare('bareFanOut', [width, sleepMs]), (r) => check(r === width, 'bare fan-out')),
  ]);
  const fanRow = (name: string, s: Sample[]) => {
    const w = wallOf(s);
    return [name, ...[w.mean, w.median, w.min, w.max].map(ms), ratio(w.mean / sleepMs), loadOf(s)];
  };
  const fanTable = table(
    ['Workflow', 'Mean', 'Median', 'Min', 'Max', `Mean / ideal ${sleepMs} ms`, 'Load (1 min)'],
    [fanRow(`Tessera, ${width} parallel nodes`, fanT), fanRow(`Bare Temporal, ${width} parallel activities`, fanB)],
  );

  const { concurrency } = THROUGHPUT;
  const single = env.validate(chainPipeline(1));
  log(`throughput: ${THROUGHPUT.warmup} warm-up + ${THROUGHPUT.rounds} measured rounds of ${concurrency} concurrent runs, each`);
  const [roundT, roundB] = await alternate(THROUGHPUT.warmup, THROUGHPUT.rounds, [
    () => round<RunPipelineResult>(env, concurrency, () => env.startPipeline(single, { text: 'x' }), (r) => check(r.outputs.text === 'x', 'single')),
    () => round<string>(env, concurrency, () => env.startBare('bareChain', [1, 'x']), (r) => check(r === 'x', 'bare single')),
  ]);
  const rps = (s: Sample[]) => (concurrency * 1000) / wallOf(s).mean;
  const roundRow = (name: string, s: Sample[]) => {
    const w = wallOf(s);
    return [name, ...[w.mean, w.min, w.max].map(ms), rps(s).toFixed(1), loadOf(s)];
  };
  const throughputTable = table(
    ['Workflow', `Round of ${concurrency}, mean`, 'Min', 'Max', 'Runs per second', 'Load (1 min)'],
    [roundRow('Tessera, 1-node pipeline', roundT), roundRow('Bare Temporal, 1 activity', roundB)],
  );

  const t = wallOf(chainT);
  const b = wallOf(chainB);
  const l = wallOf(chainL);
  const figures = table(
    ['Figure', 'Value'],
    [
      [`Chain of ${n}: wall time, Tessera / bare (mean)`, ratio(t.mean / b.mean)],
      ['Per node: engine overhead in wall time, Tessera - bare', ms((t.mean - b.mean) / n)],
      ['Per node: engine overhead in bench-process CPU, Tessera - bare', ms((meanOf(chainT, 'bench') - meanOf(chainB, 'bench')) / n)],
      [`Chain of ${n} cheap nodes: server CPU per step / bare's`, ratio(meanOf(chainL, 'server') / meanOf(chainB, 'server'))],
      [`Fan-out ${width} x ${sleepMs} ms: Tessera / bare (mean)`, ratio(wallOf(fanT).mean / wallOf(fanB).mean)],
      [`Throughput (${concurrency} at once): Tessera / bare runs per second`, ratio(rps(roundT) / rps(roundB))],
    ],
  );
  const body = `Each node of a chain costs the same Temporal round trips as a bare activity (an activity task, then a
workflow task to react to its result), so when the Tessera / bare wall-time ratio is close to 1 those round
trips dominate and the engine's own cost is best read in the CPU columns. *Bench CPU* is this Node.js
process (client and both workers), *Server CPU* the dev server's process tree. Measurements alternate
(Tessera, bare, Tessera, ...), so drift in the machine's load affects both alike.

**1. Chain of ${n} instant nodes** (\`input -> ${n} x bench-noop -> output\`; input and output nodes are resolved
inside the workflow), ${CHAIN.reps} runs each after ${CHAIN.warmup} warm-up runs:

${chainTable}

**2. Fan-out**: ${width} independent \`bench-sleep\` nodes waiting ${sleepMs} ms, each feeding its own output; the
baseline starts ${width} sleeping activities at once. ${FAN_OUT.reps} runs each after ${FAN_OUT.warmup} warm-up:

${fanTable}

**3. Throughput**: \`input -> bench-noop -> output\` started ${concurrency} times at once; runs per second = ${concurrency} /
the round's wall time (mean over ${THROUGHPUT.rounds} rounds, after ${THROUGHPUT.warmup} warm-up):

${throughputTable}

${figures}`;
  const fanIdeal = wallOf(fanT).mean / sleepMs;
  return {
    body,
    goals: [
      { goal: 'Chain of cheap nodes: step at most 1/3 of a bare activity step', measured: `${ratio(l.mean / b.mean)} (${ms(l.mean / n)} vs. ${ms(b.mean / n)})`, met: l.mean / b.mean <= 1 / 3 },
      { goal: `Fan-out ${width} x ${sleepMs} ms: at most 1.10x the ideal`, measured: `${ratio(fanIdeal)} (bare: ${ratio(wallOf(fanB).mean / sleepMs)})`, met: fanIdeal <= 1.1 },
    ],
  };
}

export const overheadPart: Part = { id: 'overhead', title: 'Engine overhead: chains, fan-out, throughput', minutes: 1, usesEnv: true, run };
