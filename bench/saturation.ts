/**
 * Part `saturation`: one-node throughput when far more runs are started than the machine can serve at
 * once (200 and 500), Tessera against bare Temporal, alternating rounds: runs per second, and the CPU per
 * run of the server and of the workers, with how many cores that kept busy: the ceiling and what sets it.
 */
import os from 'node:os';
import type { RunPipelineResult } from '../engine/run/plan.ts';
import { chainPipeline } from './bench-nodes.ts';
import { check, type Part, type PartContext, type PartResult } from './parts.ts';
import { ms, ratio, table } from './report.ts';
import { alternate, loadOf, meanOf, otherCoresOf, round, threadsPerRun, wallOf, type Sample } from './sampling.ts';

export const SATURATION = {
  levels: (process.env.BENCH_SATURATION_LEVELS ?? '200,500').split(',').map(Number),
  warmup: 50,
  rounds: Number(process.env.BENCH_SATURATION_ROUNDS ?? 2),
};

async function run({ env: getEnv, log }: PartContext): Promise<PartResult> {
  const env = await getEnv();
  const single = env.validate(chainPipeline(1));
  const tesseraRound = (n: number) => () => round<RunPipelineResult>(env, n, () => env.startPipeline(single, { text: 'x' }), (r) => check(r.outputs.text === 'x', 'single'));
  const bareRound = (n: number) => () => round<string>(env, n, () => env.startBare('bareChain', [1, 'x']), (r) => check(r === 'x', 'bare single'));
  log(`saturation: a warm-up round of ${SATURATION.warmup} each, then ${SATURATION.rounds} rounds of each of ${SATURATION.levels.join(' and ')} runs at once, alternating`);
  await alternate(1, 0, [tesseraRound(SATURATION.warmup), bareRound(SATURATION.warmup)]);

  const rows: string[][] = [];
  const ratios: { n: number; rps: number; t: number; b: number }[] = [];
  for (const n of SATURATION.levels) {
    log(`saturation: ${n} at once`);
    const [tessera, bare] = await alternate(0, SATURATION.rounds, [tesseraRound(n), bareRound(n)]);
    const rps = (s: Sample[]) => (n * 1000) / wallOf(s).mean;
    const row = (name: string, s: Sample[]) => {
      const w = wallOf(s);
      const busy = (meanOf(s, 'server') + meanOf(s, 'bench')) / w.mean;
      return [name, String(n), ms(w.mean), `${rps(s).toFixed(1)} (${((n * 1000) / w.max).toFixed(1)}-${((n * 1000) / w.min).toFixed(1)})`, ms(meanOf(s, 'server') / n), ms(meanOf(s, 'bench') / n), threadsPerRun(s, n), busy.toFixed(2), Math.max(0, otherCoresOf(s)).toFixed(2), loadOf(s)];
    };
    rows.push(row('Tessera, 1-node pipeline', tessera), row('Bare Temporal, 1 activity', bare));
    ratios.push({ n, rps: rps(tessera) / rps(bare), t: rps(tessera), b: rps(bare) });
  }
  const body = `The pipeline \`input -> bench-noop -> output\` (one regular activity) and the bare one-activity workflow,
each started ${SATURATION.levels.join(' and ')} times at once (${SATURATION.rounds} rounds each, alternating, after a warm-up round of ${SATURATION.warmup}).
Runs per second = runs / the round's wall time (mean; range over the rounds). CPU per run = the round's
CPU / runs: *server* is the dev server's process tree, *workers* this Node.js process (both workers, and the
client that starts the runs and waits for their results, the same calls for both), split by thread as in
the cheap-pipeline part. *Cores busy* = (server +
workers CPU) / wall time, of the machine's ${os.cpus().length}; *others* = the cores that every other process on the
machine used meanwhile (from /proc/stat): at saturation the two add up to about all the cores, and runs per
second ≈ cores available / CPU per run.

${table(['Workflow', 'At once', 'Round, mean', 'Runs per second', 'Server CPU / run', 'Workers CPU / run', 'Of which main / workflow / native (ms)', 'Cores busy', 'Others (cores)', 'Load (1 min)'], rows)}`;
  return {
    body,
    goals: ratios.map((r) => ({
      goal: `One-node pipeline, ${r.n} at once: at least 0.95x bare runs per second`,
      measured: `${ratio(r.rps)} (${r.t.toFixed(1)} vs. ${r.b.toFixed(1)} runs/s)`,
      met: r.rps >= 0.95,
    })),
  };
}

export const saturationPart: Part = { id: 'saturation', title: 'One-node throughput at saturation', minutes: 4, usesEnv: true, run };
