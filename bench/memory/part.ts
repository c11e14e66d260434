/**
 * Parts `memory` (the 5,000-run study of the embedded server and a worker, as Tessera runs them) and
 * `memory-bounds` (the same study on server variants that try to bound its memory; not in the default run:
 * `npm run bench -- memory-bounds`, BENCH_MEMORY_VARIANTS to pick them).
 */
import type { Part, PartContext, PartResult } from '../parts.ts';
import { table } from '../report.ts';
import { SERVER_VARIANTS } from './server-variants.ts';
import { memoryStudy, STUDY, type MemoryStudy, type MemorySample } from './study.ts';

const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '?');
const pct = (n: number) => `${n >= 0 ? '+' : ''}${(n * 100).toFixed(1)} %`;

/** Growth of a figure over the last 1,000 runs (or the last two samples' span when fewer were run). */
function lastGrowth(samples: MemorySample[], key: 'serverRss' | 'workerRss'): { value: number; from: number; to: number } {
  const last = samples[samples.length - 1];
  const from = [...samples].reverse().find((s) => s.runs <= last.runs - 1000) ?? samples[0];
  return { value: (last[key] - from[key]) / from[key], from: from.runs, to: last.runs };
}

function samplesTable(study: MemoryStudy): string {
  const row = (s: MemorySample, label = String(s.runs)) => [
    label, f0(s.seconds), f0(s.serverRss), f0(s.heapInuse), f0(s.heapIdle - s.heapReleased), `${f0(s.msCache)} / ${f0(s.msCacheSize)}`, `${f0(s.dbMiB)} + ${f0(s.walMiB)}`, f0(s.workerRss), s.load.toFixed(1),
  ];
  return table(
    ['Runs', 'Seconds', 'Server RSS (MiB)', 'Go heap in use', 'Go heap idle, kept', 'Mutable-state cache (entries / capacity)', 'SQLite db + WAL (MiB)', 'Worker RSS (MiB)', 'Load (1 min)'],
    [...study.samples.map((s) => row(s)), row(study.settled, `${study.settled.runs}, ${STUDY.settleSeconds} s later`)],
  );
}

const describe = `${STUDY.runs} runs of \`input -> bench-noop -> output\` (one regular activity), ${STUDY.concurrency} in flight at all times,
through a fresh embedded dev server (started by \`startDevServer\` as Tessera starts it, its metrics port
fixed by a wrapper) and a \`tessera worker\` process; the client (this process) starts the runs and waits for
their results. Every ${STUDY.every} runs: the RSS of the \`temporal\` process and of the worker (/proc), the server's
Go heap and history caches (its Prometheus endpoint), its SQLite files, and the load. Growth is measured
over the last 1,000 runs.`;

async function runStudies(variants: string[], log: PartContext['log']): Promise<MemoryStudy[]> {
  const studies: MemoryStudy[] = [];
  for (const id of variants) {
    const variant = SERVER_VARIANTS.find((v) => v.id === id);
    if (!variant) throw new Error(`Unknown memory variant "${id}"; the variants are ${SERVER_VARIANTS.map((v) => v.id).join(', ')}.`);
    log(`memory study, server ${variant.id}: ${STUDY.runs} runs`);
    studies.push(await memoryStudy(variant, log));
  }
  return studies;
}

async function runMemory({ log }: PartContext): Promise<PartResult> {
  const [study] = await runStudies(['as-is'], log);
  const server = lastGrowth(study.samples, 'serverRss');
  const worker = lastGrowth(study.samples, 'workerRss');
  const body = `${describe} The worker ran the ${study.mode}; ${study.runsPerSecond.toFixed(1)} runs per second.

${samplesTable(study)}`;
  const span = `runs ${server.from}-${server.to}`;
  return {
    body,
    goals: [
      { goal: `${STUDY.runs} runs: embedded server memory levels off (under 10 % over the last 1,000)`, measured: `${pct(server.value)} (${span}; ${f0(study.samples[0].serverRss)} -> ${f0(study.samples.at(-1)!.serverRss)} MiB)`, met: server.value < 0.1 },
      { goal: `${STUDY.runs} runs: worker memory levels off (under 10 % over the last 1,000)`, measured: `${pct(worker.value)} (${span}; ${f0(study.samples[0].workerRss)} -> ${f0(study.samples.at(-1)!.workerRss)} MiB)`, met: worker.value < 0.1 },
    ],
  };
}

async function runBounds({ log }: PartContext): Promise<PartResult> {
  const ids = (process.env.BENCH_MEMORY_VARIANTS ?? SERVER_VARIANTS.map((v) => v.id).join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  const studies = await runStudies(ids, log);
  const at = (s: MemoryStudy, runs: number) => s.samples.find((x) => x.runs >= runs) ?? s.samples.at(-1)!;
  const summary = table(
    ['Server variant', 'Change', 'Server RSS at 0 / 1,000 / 3,000 / 5,000 runs (MiB)', 'Growth, last 1,000', `${STUDY.settleSeconds} s after`, 'Worker RSS growth, last 1,000', 'Runs per second'],
    studies.map((s) => [
      s.variant.id, s.variant.change, [0, 1000, 3000, STUDY.runs].map((n) => f0(at(s, n).serverRss)).join(' / '), pct(lastGrowth(s.samples, 'serverRss').value), `${f0(s.settled.serverRss)} MiB`, pct(lastGrowth(s.samples, 'workerRss').value), s.runsPerSecond.toFixed(1),
    ]),
  );
  const details = studies.map((s) => `**${s.variant.id}**: ${s.variant.change}\n\n${samplesTable(s)}`).join('\n\n');
  return { body: `The study of part \`memory\` on variants of the embedded server, one after another, each on a fresh server. ${describe}\n\n${summary}\n\n${details}`, goals: [] };
}

export const memoryPart: Part = { id: 'memory', title: `Memory over ${STUDY.runs.toLocaleString('en')} runs`, minutes: 5, usesEnv: false, run: runMemory };
export const memoryBoundsPart: Part = { id: 'memory-bounds', title: 'Bounding the embedded server\'s memory', minutes: 20, usesEnv: false, optional: true, run: runBounds };
