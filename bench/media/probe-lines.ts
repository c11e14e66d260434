/** The lines bench/memory-probe.mjs wrote for a process: its main thread's memory figures over time. */
import { readFileSync } from 'node:fs';

export interface ProbeLine {
  at: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export function probeLines(prefix: string, pid: number): ProbeLine[] {
  try {
    return readFileSync(`${prefix}.${pid}`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ProbeLine);
  } catch {
    return [];
  }
}

/** The line nearest in time to `at` (ms since the epoch). */
export function lineAt(lines: ProbeLine[], at: number): ProbeLine | undefined {
  let best: ProbeLine | undefined;
  for (const l of lines) if (!best || Math.abs(l.at - at) < Math.abs(best.at - at)) best = l;
  return best;
}
