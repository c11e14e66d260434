/**
 * What Linux's /proc says about processes and the machine: CPU time of a process tree, resident memory
 * (now and peak), and how busy the whole machine is, so a figure can say how much of the CPU other work
 * took while it was measured. Off Linux the readers return NaN.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** Clock ticks per second of /proc's CPU figures (USER_HZ, 100 on Linux). */
const TICK_MS = 10;

function statFields(pid: number): string[] {
  // The command name (field 2) may hold spaces; everything after its closing parenthesis is space-separated.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
}

/** The live children of a process. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * CPU milliseconds (user + system) of a process and its live descendants. `reaped`: also the CPU of
 * descendants that exited and were waited for (cutime, cstime), e.g. ffmpeg runs of a worker.
 */
export function treeCpuMs(pid: number, reaped = false): number {
  try {
    const f = statFields(pid);
    // Fields 14-17 of stat (utime, stime, cutime, cstime) are 11-14 once pid and comm are cut off.
    const ticks = Number(f[11]) + Number(f[12]) + (reaped ? Number(f[13]) + Number(f[14]) : 0);
    let total = ticks * TICK_MS;
    for (const child of childrenOf(pid)) total += treeCpuMs(child, reaped);
    return total;
  } catch {
    return NaN;
  }
}

export interface ThreadCpu {
  /** The JavaScript main thread (client calls, activities, the SDK's JavaScript side). */
  main: number;
  /** Other threads named "node": worker threads (the Temporal workers' workflow threads), V8's and libuv's helpers. */
  js: number;
  /** Every other thread: the Temporal Core SDK's Rust threads (tokio-runtime-w, workflow-proces...), libuv's pool. */
  native: number;
}

/** CPU milliseconds of this process's live threads, by kind. */
export function threadCpuMs(): ThreadCpu {
  const out = { main: 0, js: 0, native: 0 };
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${process.pid}/task`);
  } catch {
    return { main: NaN, js: NaN, native: NaN };
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      const ms = (Number(f[11]) + Number(f[12])) * TICK_MS;
      if (tid === String(process.pid)) out.main += ms;
      else if (comm === 'node') out.js += ms;
      else out.native += ms;
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** A line of /proc/<pid>/status in MiB (VmRSS: resident now; VmHWM: the most resident so far). */
function statusMiB(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${key}:`));
    return Number(line?.split(/\s+/)[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}

export const rssMiB = (pid: number): number => statusMiB(pid, 'VmRSS');
export const peakRssMiB = (pid: number): number => statusMiB(pid, 'VmHWM');

/** Busy CPU milliseconds of the whole machine (all cores) since boot, from /proc/stat. */
export function machineBusyMs(): number {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    // user nice system idle iowait irq softirq steal (guest time is already inside user and nice)
    const [user, nice, system, , , irq, softirq, steal] = ticks.map(Number);
    return (user + nice + system + irq + softirq + steal) * TICK_MS;
  } catch {
    return NaN;
  }
}

/**
 * How busy the machine is around a measurement, and how much of that was other work: call it at the
 * start, `report()` at the end. Our own CPU is this process's tree (workers, servers and the processes
 * they started and waited for).
 */
export function loadWatch(): { report(): LoadReport } {
  const start = { at: performance.now(), load: os.loadavg(), busy: machineBusyMs(), ours: treeCpuMs(process.pid, true) };
  return {
    report() {
      const seconds = (performance.now() - start.at) / 1000;
      const others = machineBusyMs() - start.busy - (treeCpuMs(process.pid, true) - start.ours);
      return { loadStart: start.load, loadEnd: os.loadavg(), seconds, otherCores: others / 1000 / seconds };
    },
  };
}

export interface LoadReport {
  /** The 1, 5 and 15 min load averages at the start and at the end. */
  loadStart: number[];
  loadEnd: number[];
  seconds: number;
  /** Cores' worth of CPU that processes outside this benchmark used on average (of os.cpus().length). */
  otherCores: number;
}

export const loadText = (load: number[]): string => load.map((l) => l.toFixed(1)).join(' / ');

/** "load average 2.0 / 2.5 / 3.1 → 3.2 / 2.8 / 3.1; other work 0.6 of 2 cores": the figures' context. */
export function describeLoad(r: LoadReport): string {
  const others = Number.isFinite(r.otherCores) ? `; other processes used ${Math.max(0, r.otherCores).toFixed(1)} of the ${os.cpus().length} cores on average` : '';
  return `load average (1 / 5 / 15 min) ${loadText(r.loadStart)} at the start, ${loadText(r.loadEnd)} at the end${others}`;
}
