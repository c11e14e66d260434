/**
 * `npm run bench`: Tessera against bare Temporal, and its memory, in parts that each run on their own:
 *
 *   npm run bench                         every part but the optional ones, in this order
 *   npm run bench -- saturation media     only these parts (or BENCH_PARTS=saturation,media)
 *
 * Each part prints its block (stdout) and replaces its own block of docs/benchmarks.md, with the date, the
 * commit and the machine's load while it ran; the goals table there is rebuilt from every part's block.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { loadSettings } from '../engine/config.ts';
import { createProviders } from '../engine/providers/index.ts';
import { startFakeProviders } from '../test/support/fake-provider-server.ts';
import { blobsPart } from './blob-store.ts';
import { cachePart } from './cache-bench.ts';
import { cheapPipelinePart } from './cheap-pipeline.ts';
import { goalTable, writeBlocks } from './doc.ts';
import { createBenchEnv, type BenchEnv } from './env.ts';
import { mediaPart } from './media/part.ts';
import { memoryBoundsPart, memoryPart } from './memory/part.ts';
import { overheadPart } from './overhead.ts';
import type { Part } from './parts.ts';
import { describeLoad, loadWatch } from './proc.ts';
import { describeMachine, machineTable } from './report.ts';
import { saturationPart } from './saturation.ts';
import { workersPart } from './worker-scaling.ts';

const PARTS: Part[] = [overheadPart, cheapPipelinePart, saturationPart, workersPart, blobsPart, cachePart, mediaPart, memoryPart, memoryBoundsPart];
/** BENCH_NO_DOC=1: print the blocks only (trial runs with smaller settings). */
const DOC = process.env.BENCH_NO_DOC === '1' ? undefined : fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));

const wanted = [...process.argv.slice(2), ...(process.env.BENCH_PARTS ?? '').split(',')].map((s) => s.trim()).filter(Boolean);
const unknown = wanted.filter((id) => !PARTS.some((p) => p.id === id));
if (unknown.length) {
  console.error(`Unknown part(s) ${unknown.join(', ')}; the parts are: ${PARTS.map((p) => p.id).join(', ')}.`);
  process.exit(2);
}
const selected = wanted.length ? PARTS.filter((p) => wanted.includes(p.id)) : PARTS.filter((p) => !p.optional);

const began = performance.now();
const log = (message: string): void => console.error(`[bench ${((performance.now() - began) / 1000).toFixed(1)}s] ${message}`);

/** "at commit abc1234": and whether engine/, nodes/ or workflows/ had uncommitted changes (shared tree). */
function revision(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'engine', 'nodes', 'workflows'], { encoding: 'utf8' }).trim();
    return `at commit ${sha}${dirty ? ' (with uncommitted changes in engine/, nodes/ or workflows/)' : ''}`;
  } catch {
    return 'outside git';
  }
}

// Stopped (Ctrl-C, kill): exit, so the exit handlers stop the processes the parts started (bench/services.ts).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const fake = await startFakeProviders();
let env: Promise<BenchEnv> | undefined;
const getEnv = () => (env ??= createBenchEnv(log, createProviders({ OPENAI_API_KEY: 'sk-bench-not-a-key', OPENAI_BASE_URL: fake.openaiBaseURL }, undefined)));
const closeEnv = async () => {
  const open = env;
  env = undefined;
  await (await open?.catch(() => undefined))?.close();
};

let exitCode = 0;
try {
  const blocks = new Map<string, string>([['machine', machineTable(describeMachine(loadSettings().temporal.cliPath))]]);
  for (const [i, part] of selected.entries()) {
    log(`part ${part.id} (about ${part.minutes} min): ${part.title}`);
    const watch = loadWatch();
    const result = await part.run({ log, env: getEnv, fake });
    const load = watch.report();
    const measured = `Measured ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} ${revision()}, in ${Math.round(load.seconds)} s; ${describeLoad(load)}.`;
    const block = [`<a id="${part.id}"></a>\n### ${part.title}`, measured, result.body, ...(result.goals.length ? [goalTable(result.goals)] : [])].join('\n\n');
    console.log(`${block}\n`);
    blocks.set(part.id, block);
    // Write as we go: a later part that fails leaves the earlier ones recorded.
    if (DOC) writeBlocks(DOC, blocks, ['machine', ...PARTS.map((p) => p.id)]);
    // The parts with a world of their own (separate processes) run without the in-process one idling.
    if (env && !selected.slice(i + 1).some((p) => p.usesEnv)) await closeEnv();
  }
  if (DOC && !wanted.length) {
    blocks.set('duration', `\`npm run bench\` (every part) took ${Math.round((performance.now() - began) / 60_000)} min in its last run (${new Date().toISOString().slice(0, 10)}).`);
    writeBlocks(DOC, blocks, ['machine', 'duration', ...PARTS.map((p) => p.id)]);
  }
  if (DOC) log(`wrote ${DOC}`);
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  log('shutting down');
  await closeEnv();
  await fake.close();
}
process.exitCode = exitCode;
