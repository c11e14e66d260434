/**
 * Part `cheap-pipeline`: a 10-node pipeline of cheap built-in nodes (json-pick, text-template, join: local
 * activities) against a bare workflow of 10 regular activities doing the same work, N runs started at
 * once, alternating rounds: runs per second, and the server's and this process's CPU per run.
 */
import type { RunPipelineResult } from '../engine/run/plan.ts';
import { textChainPipeline } from './bench-nodes.ts';
import { check, type Part, type PartContext, type PartResult } from './parts.ts';
import { ms, ratio, table } from './report.ts';
import { alternate, loadOf, meanOf, round, threadsPerRun, wallOf, type Sample } from './sampling.ts';

export const CHEAP = { nodes: 10, concurrency: Number(process.env.BENCH_CHEAP_CONCURRENCY ?? 50), warmup: 1, rounds: 4 };
const DOC = { patient: { name: 'Ada' } };

/** What both return for DOC: the name, then "Dear ...," and " Ada" in turns. */
function expected(length: number): string {
  let text = 'Ada';
  for (let i = 1; i < length; i++) text = i % 2 ? `Dear ${text},` : `${text} Ada`;
  return text;
}

async function run({ env: getEnv, log }: PartContext): Promise<PartResult> {
  const env = await getEnv();
  const { nodes, concurrency } = CHEAP;
  const want = expected(nodes);
  const pipeline = env.validate(textChainPipeline(nodes));
  log(`cheap pipeline: ${CHEAP.warmup} warm-up + ${CHEAP.rounds} measured rounds of ${concurrency} runs at once, Tessera and bare alternating`);
  const bareRound = (workflow: 'bareTextChain' | 'bareLocalTextChain' | 'bareInlineTextChain') => () =>
    round<string>(env, concurrency, () => env.startBare(workflow, [nodes, DOC]), (r) => check(r === want, `${workflow}: ${r}`));
  const [tessera, bare, bareLocal, bareInline] = await alternate(CHEAP.warmup, CHEAP.rounds, [
    () => round<RunPipelineResult>(env, concurrency, () => env.startPipeline(pipeline, { doc: DOC }), (r) => check(r.outputs.text === want, `text chain: ${JSON.stringify(r.outputs)}`)),
    bareRound('bareTextChain'),
    bareRound('bareLocalTextChain'),
    bareRound('bareInlineTextChain'),
  ]);
  const rps = (s: Sample[]) => (concurrency * 1000) / wallOf(s).mean;
  const perRun = (s: Sample[], key: 'server' | 'bench') => meanOf(s, key) / concurrency;
  const row = (name: string, s: Sample[]) => {
    const w = wallOf(s);
    return [name, ms(w.mean), ms(w.min), ms(w.max), rps(s).toFixed(1), ms(perRun(s, 'server')), ms(perRun(s, 'bench')), threadsPerRun(s, concurrency), loadOf(s)];
  };
  const rpsRatio = rps(tessera) / rps(bare);
  const cpuRatio = perRun(tessera, 'server') / perRun(bare, 'server');
  const body = `The pipeline \`input -> json-pick -> text-template -> join -> ... -> output\` (${nodes} cheap built-in nodes in
sequence, which declare \`local\`: they run in the worker that runs the workflow, all ten in one local
activity, a chain, \`workflows/cheap-chain.ts\`)
against a bare workflow of ${nodes} regular activities doing the same work (\`bench/bare-workflow.ts\`
\`bareTextChain\`), ${concurrency} runs started at once, the four workflows of the table in turn; ${CHEAP.rounds} rounds
each after ${CHEAP.warmup} warm-up.
Runs per second = ${concurrency} / the round's wall time (mean); CPU per run = the round's CPU / ${concurrency}: *server*
is the dev server's process tree, *bench process* this Node.js process (client and both workers), split by
its threads: the JavaScript main thread (client calls, activities), the other Node.js threads (mostly the
workers' workflow threads, where workflow code and every activation run; also V8's and libuv's helpers)
and the native ones (the Temporal Core SDK's Rust threads).

${table(
  ['Workflow', `Round of ${concurrency}, mean`, 'Min', 'Max', 'Runs per second', 'Server CPU / run', 'Bench-process CPU / run', 'Of which main / workflow / native threads (ms)', 'Load (1 min)'],
  [
    row(`Tessera, ${nodes} cheap nodes`, tessera),
    row(`Bare Temporal, ${nodes} activities`, bare),
    row(`For reference: bare Temporal, ${nodes} local activities`, bareLocal),
    row('For reference: bare Temporal, the work inline in the workflow', bareInline),
  ],
)}

The two reference rows bound what the engine could reach on this server and SDK: the same work as bare
local activities (the SDK's own cost of a local activity), and done inside the workflow code with no
activity at all (the cost of a run itself: start, one workflow task, result).`;
  return {
    body,
    goals: [
      { goal: `${nodes} cheap nodes, ${concurrency} at once: at least 3x the bare runs per second`, measured: `${ratio(rpsRatio)} (${rps(tessera).toFixed(1)} vs. ${rps(bare).toFixed(1)} runs/s)`, met: rpsRatio >= 3 },
      { goal: `${nodes} cheap nodes: at most 1/3 of the bare server CPU per run`, measured: `${ratio(cpuRatio)} (${ms(perRun(tessera, 'server'))} vs. ${ms(perRun(bare, 'server'))})`, met: cpuRatio <= 1 / 3 },
    ],
  };
}

export const cheapPipelinePart: Part = { id: 'cheap-pipeline', title: 'A 10-node pipeline of cheap nodes vs. 10 bare activities', minutes: 1, usesEnv: true, run };
