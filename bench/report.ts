/** Statistics, the machine description, and the tables printed to stdout and written to docs/benchmarks.md. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { resolveTemporalBinary } from '../engine/temporal/binary.ts';

export interface Stats {
  n: number;
  mean: number;
  median: number;
  min: number;
  max: number;
}

export function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return {
    n: sorted.length,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    median: sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2,
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}

export interface Machine {
  cpu: string;
  cores: number;
  memory: string;
  node: string;
  temporal: string;
  os: string;
  date: string;
  /** The load average (1 / 5 / 15 min) when the run ended: other work on the machine moves the timings. */
  load?: string;
}

export function describeMachine(cliPath?: string): Machine {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1].trim() ?? cpu;
  } catch {
    // not Linux: keep what os.cpus() says
  }
  let temporal = 'unknown';
  try {
    temporal = execFileSync(resolveTemporalBinary(cliPath), ['--version'], { encoding: 'utf8' }).trim();
  } catch (err) {
    temporal = `unknown (${(err as Error).message.split('\n')[0]})`;
  }
  return {
    cpu,
    cores: os.cpus().length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    temporal,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

/** A Markdown table whose columns are padded, so it reads well in a terminal too. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export const ms = (value: number): string => `${value.toFixed(1)} ms`;
export const ratio = (value: number): string => `${value.toFixed(2)}x`;

function machineTable(m: Machine): string {
  return table(
    ['Item', 'Value'],
    [
      ['CPU', m.cpu],
      ['Cores', String(m.cores)],
      ['Memory', m.memory],
      ['OS', m.os],
      ['Node.js', m.node],
      ['Temporal CLI', m.temporal.replace(/\n/g, ' ')],
      ['Date', m.date],
      ...(m.load ? [['Load average at the end (1 / 5 / 15 min)', m.load]] : []),
    ],
  );
}

export interface ReportInput {
  machine: Machine;
  /** The result tables, already formatted. */
  sections: string;
  seconds: number;
  chain: { length: number };
  fanOut: { width: number; sleepMs: number };
  throughput: { concurrency: number };
  blobs: { sizeMiB: number; ranges: number };
}

/** The whole of docs/benchmarks.md. */
export function markdown(r: ReportInput): string {
  const n = r.chain.length;
  return `# Benchmarks

These figures come from \`npm run bench\` (\`bench/run.ts\`). The script rewrites this file each time it
runs, so the numbers below are those of its last run, on the machine described here. Timings on a shared
or virtual machine move by 10-20 % between runs; compare the ratios rather than absolute milliseconds.

## How to run

\`\`\`sh
npm install      # also installs the temporal CLI into .tools/
npm run bench    # took ${r.seconds} s on the machine below
\`\`\`

The script needs nothing running and ignores \`TEMPORAL_ADDRESS\`: it starts its own embedded Temporal
dev server (headless, free ports, SQLite file in a temporary folder), a Tessera worker and a baseline
worker in the same process, runs the measurements one after another, prints the tables, writes this
file, and shuts everything down. Progress goes to stderr, the tables to stdout. \`TEMPORAL_CLI_PATH\`
picks another \`temporal\` binary.

## What is measured

The wall time of a run goes from the client's start request to the workflow's result: the start RPC,
every workflow-task and activity-task round trip through the server, and the result poll. The baseline
workflows (\`bench/bare-workflow.ts\`) are plain Temporal code, bundled separately and served by their own
worker on their own task queue, with the same worker settings as Tessera's worker (\`createWorker\`).
Tessera runs and baseline runs alternate, so drift affects both alike.

1. **Per-node overhead.** The pipeline \`input -> ${n} x bench-noop -> output\` (a bench-noop node returns
   its text at once; input and output nodes are resolved inside the workflow, without activities)
   against a workflow that awaits ${n} no-op activities in sequence. *Bench CPU / node* is the CPU time of
   this Node.js process (client and both workers) during a run, divided by ${n}; *Server CPU / node* is
   the dev server's. Engine overhead per node = (Tessera - bare) / ${n}.
2. **Fan-out.** ${r.fanOut.width} independent \`bench-sleep\` nodes that each wait ${r.fanOut.sleepMs} ms, each feeding its own
   output node; ideally the run takes ${r.fanOut.sleepMs} ms. The baseline starts ${r.fanOut.width} sleeping activities at once.
3. **Throughput.** The pipeline \`input -> bench-noop -> output\` started ${r.throughput.concurrency} times at once; runs per
   second = ${r.throughput.concurrency} / wall time of the round (mean over rounds). The baseline is the one-activity
   workflow started the same way.
4. **Blob stores.** A ${r.blobs.sizeMiB} MiB object streamed into the store from 256 KiB chunks (\`put\`), read back whole
   and hashed, then ${r.blobs.ranges} reads of 1 MiB at random offsets, by the file-system store (a temporary data
   folder) and by the S3 store (\`TESSERA_BLOB_URL\`) against moto's S3 server (\`moto[server]\`, installed by
   \`node scripts/test-tools.mjs\`) on this machine. Each measurement is a fresh Node.js process
   (\`bench/blob-child.ts\`) opening the store as Tessera does, so its RSS is the store's: sampled every 10 ms
   without forcing garbage collection; *RSS before* is the process with the store opened, before the put.
   The S3 store's memory is bounded by its parts (8 MiB, 4 in flight), not by the object's size. Its
   throughput here is moto's, a Python server keeping objects in memory on the same two cores (and doing
   the server-side copy of a large put to its content key), not what S3 or a production S3-compatible
   server would give.
5. **The output cache.** (a) \`examples/voice-note-to-summary.pipeline.json\` run twice with the cache on
   (\`cache: "on"\`), its AI providers being the tests' fake provider server reached through the official
   SDKs, which answers each call after 1 s (a typical AI latency); the cache is emptied before each pair.
   (b) The 50-node chain of item 1 with the cache off, written (\`refresh\`: every node runs and stores its
   outputs) and read (\`auto\` after a run: every node a hit), alternating; *per node, vs. off* is the
   difference of the means divided by 50.

Each node costs the same Temporal round trips in both cases (an activity task, then a workflow task to
react to its result), so when the Tessera / bare wall-time ratio is close to 1 those round trips
dominate, and the engine's own cost is best read in the CPU columns.

## Machine

${machineTable(r.machine)}

## Results

${r.sections}
`;
}
