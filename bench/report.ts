/** Statistics, the machine description, and Markdown tables (printed to stdout and written to docs/benchmarks.md). */
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

export function machineTable(m: Machine): string {
  return table(
    ['Item', 'Value'],
    [
      ['CPU', m.cpu],
      ['Cores', String(m.cores)],
      ['Memory', m.memory],
      ['OS', m.os],
      ['Node.js', m.node],
      ['Temporal CLI', m.temporal.replace(/\n/g, ' ')],
    ],
  );
}
