/**
 * Resident memory of named processes sampled every few milliseconds, attributed to the stage the
 * measurement is in (set by the caller as it goes), so a peak can be traced to what was happening.
 * Each process's exact peak comes from the kernel (VmHWM) at the end; the samples say when.
 */
import { childrenOf, peakRssMiB, rssMiB } from '../proc.ts';

export interface StageFigures {
  stage: string;
  /** Seconds from the sampler's start to the stage's start, and how long it lasted. */
  start: number;
  seconds: number;
  /** Largest RSS seen in the stage, per process name (MiB). */
  max: Record<string, number>;
  /** Largest RSS of the processes' children (ffmpeg, ffprobe) together, per process name. */
  childrenMax: Record<string, number>;
}

export function stageSampler(processes: Record<string, number>, everyMs = 50) {
  const t0 = performance.now();
  const stages: StageFigures[] = [];
  let current: StageFigures | undefined;
  const sumSimultaneous = { max: 0, stage: '' };
  const stage = (name: string) => {
    if (current?.stage === name) return;
    const now = (performance.now() - t0) / 1000;
    if (current) current.seconds = now - current.start;
    current = { stage: name, start: now, seconds: 0, max: {}, childrenMax: {} };
    stages.push(current);
  };
  const take = () => {
    if (!current) return;
    let sum = 0;
    for (const [name, pid] of Object.entries(processes)) {
      const rss = rssMiB(pid);
      sum += rss;
      current.max[name] = Math.max(current.max[name] ?? 0, rss);
      // A child that exits between the listing and the reading counts as nothing.
      const kids = childrenOf(pid).reduce((total, child) => total + (rssMiB(child) || 0), 0);
      current.childrenMax[name] = Math.max(current.childrenMax[name] ?? 0, kids);
    }
    if (sum > sumSimultaneous.max) Object.assign(sumSimultaneous, { max: sum, stage: current.stage });
  };
  const timer = setInterval(take, everyMs);
  return {
    stage,
    /** Ends sampling: the stages, each process's kernel-recorded peak, and the largest sum seen at one instant. */
    stop() {
      take();
      clearInterval(timer);
      if (current) current.seconds = (performance.now() - t0) / 1000 - current.start;
      const peaks = Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, peakRssMiB(pid)]));
      return { stages, peaks, simultaneous: sumSimultaneous };
    },
  };
}
