/**
 * Part `cache` of `npm run bench`: the output cache.
 *   a. voice-note-to-summary run twice with the cache on: the second run's wall time and provider calls
 *      against the first (the fake provider server answers each call after 1 s, a typical AI latency);
 *   b. the cost of cache lookups: a 50-node chain of instant nodes with the cache off, written (refresh)
 *      and read (every node a hit), side by side.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { canonicalJson } from '../engine/cache/cache-key.ts';
import type { RunPipelineResult } from '../engine/run/plan.ts';
import { chainPipeline } from './bench-nodes.ts';
import type { BenchEnv } from './env.ts';
import type { Part, PartContext, PartResult } from './parts.ts';
import { ms, ratio, stats, table } from './report.ts';

export const CACHE_BENCH = { voiceReps: 3, providerDelayMs: 1000, chain: 50, chainWarmup: 1, chainReps: 5 };

const VOICE_NOTE = fileURLToPath(new URL('../examples/voice-note-to-summary.pipeline.json', import.meta.url));
const AUDIO = fileURLToPath(new URL('../test/fixtures/speech/voice-note.ogg', import.meta.url));

async function run({ env: getEnv, fake, log }: PartContext): Promise<PartResult> {
  const env = await getEnv();
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`a cache benchmark run returned a wrong result: ${what}`);
  };
  const timedRun = async (start: () => ReturnType<BenchEnv['startPipeline']>) => {
    const t0 = performance.now();
    const result = (await (await start()).result()) as RunPipelineResult;
    return { wall: performance.now() - t0, result };
  };

  // a. The same voice note twice.
  const voice = env.validate(JSON.parse(readFileSync(VOICE_NOTE, 'utf8')));
  const audio = await env.blobs.put(readFileSync(AUDIO), { name: 'voice-note.ogg' });
  const slow = (_req: unknown, defaultJson: () => unknown) => ({ json: defaultJson(), delayMs: CACHE_BENCH.providerDelayMs });
  const first: number[] = [];
  const second: number[] = [];
  const calls: [number, number][] = [];
  log(`cache a: voice-note-to-summary twice, ${CACHE_BENCH.voiceReps} times (provider calls answer after ${CACHE_BENCH.providerDelayMs} ms)`);
  for (let i = 0; i < CACHE_BENCH.voiceReps; i++) {
    await env.cache.clear();
    fake.reset();
    fake.script('transcriptions', { text: 'Patient reports headaches. Review in two weeks.', delayMs: CACHE_BENCH.providerDelayMs });
    fake.script('chat', slow, slow);
    const cold = await timedRun(() => env.startPipeline(voice, { audio }, 'on'));
    const coldCalls = fake.requests.length;
    const warm = await timedRun(() => env.startPipeline(voice, { audio }, 'on'));
    // (Same values; the order of keys follows which output arrived first.)
    check(canonicalJson(warm.result.outputs) === canonicalJson(cold.result.outputs), 'the cached run has the same outputs');
    check(['stt', 'fields', 'summary'].every((id) => warm.result.nodes[id]?.cached), 'every task node cached');
    first.push(cold.wall);
    second.push(warm.wall);
    calls.push([coldCalls, fake.requests.length - coldCalls]);
  }
  const f = stats(first);
  const s = stats(second);
  const voiceTable = table(
    ['Run of voice-note-to-summary', 'Mean', 'Min', 'Max', 'Provider calls (each run)'],
    [
      ['First (cache empty)', ms(f.mean), ms(f.min), ms(f.max), calls.map((c) => c[0]).join(', ')],
      ['Second, identical (cache on)', ms(s.mean), ms(s.min), ms(s.max), calls.map((c) => c[1]).join(', ')],
    ],
  );

  // b. Lookup cost on a chain of instant nodes.
  const n = CACHE_BENCH.chain;
  const chain = env.validate(chainPipeline(n));
  const samples: Record<'off' | 'write' | 'hit', number[]> = { off: [], write: [], hit: [] };
  log(`cache b: ${n}-node chain, cache off / written / read, ${CACHE_BENCH.chainWarmup} warm-up + ${CACHE_BENCH.chainReps} measured runs each`);
  for (let i = 0; i < CACHE_BENCH.chainWarmup + CACHE_BENCH.chainReps; i++) {
    const off = await timedRun(() => env.startPipeline(chain, { text: 'bench' }, 'off'));
    const write = await timedRun(() => env.startPipeline(chain, { text: 'bench' }, 'refresh'));
    const hit = await timedRun(() => env.startPipeline(chain, { text: 'bench' }, 'auto'));
    check(Object.values(hit.result.nodes).filter((state) => state.cached).length === n, 'every chain node a hit');
    if (i < CACHE_BENCH.chainWarmup) continue;
    samples.off.push(off.wall);
    samples.write.push(write.wall);
    samples.hit.push(hit.wall);
  }
  const off = stats(samples.off);
  const row = (name: string, values: number[]) => {
    const w = stats(values);
    return [name, ms(w.mean), ms(w.min), ms(w.max), ms((w.mean - off.mean) / n), ratio(w.mean / off.mean)];
  };
  const chainTable = table(
    ['Chain of ' + n, 'Mean', 'Min', 'Max', 'Per node, vs. off', 'Wall / off'],
    [row('Cache off', samples.off), row('Cache written (refresh)', samples.write), row('Every node a hit', samples.hit)],
  );

  const intro = `(a) \`examples/voice-note-to-summary.pipeline.json\` run twice with the cache on (\`cache: "on"\`), its AI
providers being the tests' fake provider server reached through the official SDKs, which answers each call
after ${CACHE_BENCH.providerDelayMs / 1000} s (a typical AI latency); the cache is emptied before each pair. (b) The ${n}-node chain of
instant nodes with the cache off, written (\`refresh\`: every node runs and stores its outputs) and read
(\`auto\` after a run: every node a hit), alternating; *per node, vs. off* is the difference of the means
divided by ${n}.`;
  const summary = table(
    ['Figure', 'Value'],
    [
      ['Second identical voice-note run, wall time / first (mean)', ratio(s.mean / f.mean)],
      ['Provider calls of the second identical run (every pair)', calls.map((c) => c[1]).join(', ')],
      [`A hit vs. running an instant node, per node (chain of ${n})`, ms((stats(samples.hit).mean - off.mean) / n)],
    ],
  );
  const body = [
    intro,
    `**a. The same voice note twice** (${CACHE_BENCH.voiceReps} pairs; the fake provider server answers each call after ${CACHE_BENCH.providerDelayMs} ms):\n\n${voiceTable}`,
    `**b. Cache lookups on a ${n}-node chain of instant nodes** (${CACHE_BENCH.chainReps} runs each, after ${CACHE_BENCH.chainWarmup} warm-up, alternating):\n\n${chainTable}`,
    summary,
  ].join('\n\n');
  return { body, goals: [] };
}

export const cachePart: Part = { id: 'cache', title: 'The output cache', minutes: 1, usesEnv: true, run };
